"""Rows of a bulk-invitation CSV file: read them streaming, check each one.

Columns (header row; ``;`` or tab also accepted as separator): ``email``,
``company_id``, ``company_name``, ``invited_by`` are required; ``first_name``,
``last_name``, ``languages`` (``fi,sv,en``; ``fi sv en`` or ``fi|sv|en`` too),
``role`` (``user``/``main_user``), ``contract_number``, ``inviter_name``,
``inviter_role`` (default: ``operator`` for main-user rows, else ``main_user``)
and ``services`` are optional. A row gets the same checks as ``send_invite``.

A row with more or fewer fields than the header is a bad row (its values would
land in the wrong columns). The whole file is refused (:class:`CSVFormatError`)
when it is empty or has no rows, when a header name is unknown (with the closest
known name as a suggestion), repeated or empty, when a byte is not UTF-8 (with its
line) and when a quote is left open (with the line it starts on).
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import itertools
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from invitations.errors import (
    ContractNumberRequired,
    FieldCountMismatch,
    FieldRequired,
    InvalidInput,
    InvitationError,
    csv_format_error,
)
from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_
from invitations.models import Company, Inviter, Role
from invitations.rules import authorize_issue
from invitations.validation import (
    MAX_NAME,
    normalize_company,
    normalize_email,
    normalize_inviter,
    normalize_languages,
    normalize_role,
    normalize_services,
    optional_text,
)

REQUIRED = ("email", "company_id", "company_name", "invited_by")
OPTIONAL = (
    "first_name", "last_name", "languages", "role", "contract_number", "inviter_name",
    "inviter_role", "services",
)  # fmt: skip
_LANGUAGE_SEPARATORS = re.compile(r"[\s,;|/]+")
T = TypeVar("T")


class DuplicateRow(InvalidInput):
    """The same address and company appear twice; the second would replace the first."""

    code = "duplicate_row"
    text = T_(
        "The same e-mail address and company are already on line %(first_line)s. Remove one of "
        "the rows."
    )


@dataclass(frozen=True)
class BulkInvite:
    """One valid row, ready for :meth:`InvitationService.send_invite`."""

    line: int
    email: str
    company: Company
    inviter: Inviter
    role: Role
    services: tuple[str, ...]
    languages: tuple[str, ...] | None
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class RowProblem:
    """Why the row on ``line`` cannot be sent; ``errors`` carry fi/sv/en messages."""

    line: int
    errors: tuple[InvitationError, ...]

    def message(self, lang: str = "en") -> str:
        return "; ".join(error.message(lang) for error in self.errors)


KNOWN = (*REQUIRED, *OPTIONAL)
# A byte that is not UTF-8 is decoded (``surrogateescape``) to one of these.
_NOT_UTF8 = re.compile("[\udc80-\udcff]")
_LINE_BREAK = re.compile("\r\n|\r|\n")


class _Lines:
    """The file's lines, as :mod:`csv` reads them, numbered from 1 as they are read.

    The file is decoded ahead in chunks, so a decoding error would not say where it
    is: bytes that are not UTF-8 are let through as surrogates and reported here,
    with the number of the line they are on. ``exhausted`` is set at the end of file.
    """

    def __init__(self, handle: Iterator[str]) -> None:
        self._handle = handle
        self.number = 0
        self.exhausted = False

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        try:
            text = next(self._handle)
        except StopIteration:
            self.exhausted = True
            raise
        self.number += 1
        bad = _NOT_UTF8.search(text)
        if bad:
            byte = f"0x{ord(bad.group()) - 0xDC00:02x}"
            raise csv_format_error(("not_utf8", {"line": self.number, "byte": byte}))
        return text


def _columns(names: list[str], line: int) -> list[str]:
    """The header's column names, normalised; a bad header is refused, every problem
    of it named at once."""
    columns = [name.strip().lower().replace(" ", "_").replace("-", "_") for name in names]
    problems: list[tuple[str, Mapping[str, object]]] = []
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        problems.append(("missing", {"line": line, "columns": ", ".join(missing),
                                     "required": ", ".join(REQUIRED)}))
    unknown = tuple(
        (name, next(iter(difflib.get_close_matches(name, KNOWN, n=1, cutoff=0.6)), ""))
        for name in dict.fromkeys(columns) if name and name not in KNOWN
    )
    if unknown:
        problems.append(("unknown", {"unknown": unknown, "known": ", ".join(KNOWN)}))
    first: dict[str, int] = {}
    for position, name in enumerate(columns, start=1):
        if not name:
            problems.append(("unnamed", {"position": position}))
        elif name in first:
            problems.append(("duplicate", {"column": name, "first": first[name],
                                           "second": position}))
        else:
            first[name] = position
    if problems:
        raise csv_format_error(*problems)
    return columns


def _breaks(text: str) -> int:
    return len(_LINE_BREAK.findall(text))


def read_records(
    path: str | PathLike[str],
) -> Iterator[tuple[int, dict[str, str] | RowProblem]]:
    """``(line number, row)`` pairs, streamed; the header names are normalised.

    A row with more or fewer fields than the header is a :class:`RowProblem` (its
    values would land in the wrong columns). A file that cannot be read as a whole
    (see :class:`CSVFormatError`) raises when the problem is met.
    """
    try:
        handle = Path(path).open(  # noqa: SIM115 (with below)
            encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
    except OSError as error:
        raise csv_format_error(
            ("unreadable", {"path": str(path), "error": error.strerror or str(error)})
        ) from None
    with handle:
        lines = _Lines(handle)
        yield from _records(lines)


def _records(lines: _Lines) -> Iterator[tuple[int, dict[str, str] | RowProblem]]:
    header = next((text for text in lines if text.strip()), None)
    if header is None:
        raise csv_format_error(("empty", {"required": ", ".join(REQUIRED)}))
    first_line = lines.number
    delimiter = max(",;\t", key=header.count)
    reader = csv.reader(itertools.chain([header], lines), delimiter=delimiter)
    records = 0
    columns: list[str] = []
    end = first_line - 1
    try:
        for values in reader:
            start, end = end + 1, first_line - 1 + reader.line_num
            if end > start or lines.exhausted:
                _check_quotes(values, start, end, lines.exhausted, delimiter,
                              len(columns) if records else None)
            if records == 0:
                columns = _columns(values, start)
                records = 1
                continue
            if not any(v.strip() for v in values):
                continue
            records += 1
            if len(values) != len(columns):
                yield start, RowProblem(start, (FieldCountMismatch(len(values), len(columns)),))
            else:
                yield start, dict(zip(columns, values, strict=True))
    except csv.Error as error:
        if lines.number > end + 1 and "field larger than field limit" in str(error):
            # A quote opened on the record's first line swallowed the lines after it.
            raise csv_format_error(
                ("runaway", {"line": end + 1, "end": lines.number})
            ) from None
        raise csv_format_error(
            ("unreadable_line", {"line": lines.number, "error": str(error)})
        ) from None
    if records <= 1:
        raise csv_format_error(("no_rows", {}))


def _check_quotes(
    values: list[str], start: int, end: int, at_end: bool, delimiter: str,
    expected: int | None,
) -> None:
    """Refuse a record that an unterminated quote has stretched over several lines
    (``start`` to ``end``): one that runs to the end of the file, one whose value with
    a line break holds a separator too, or one of the wrong length (either way it has
    taken in what were rows)."""
    opened = [start]  # the line each value starts on
    for value in values[:-1]:
        opened.append(opened[-1] + _breaks(value))
    if at_end:  # the reader met the end of the file inside the last, quoted value
        raise csv_format_error(("unterminated", {"line": opened[-1]}))
    for line, value in zip(opened, values, strict=True):
        if _breaks(value) and (delimiter in value or (expected or len(values)) != len(values)):
            raise csv_format_error(("runaway", {"line": line, "end": end}))


class _Checks:
    """Run validation steps, keeping every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[InvitationError] = []

    def __call__(self, step: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return step(*args, **kwargs)
        except InvitationError as error:
            self.errors.append(error)
            return None


@dataclass(frozen=True)
class _Party:
    company: Company
    inviter: Inviter
    role: Role
    services: tuple[str, ...]
    languages: tuple[str, ...] | None


@functools.lru_cache(maxsize=1024)
def _party(
    company_id: str,
    company_name: str,
    contract: str | None,
    invited_by: str,
    inviter_name: str | None,
    inviter_role: str | None,
    role_name: str | None,
    services_text: str | None,
    languages_text: str | None,
) -> _Party | tuple[InvitationError, ...]:
    """Everything but the invitee: the same for many rows, so checked once (cached)."""
    check = _Checks()
    company = check(normalize_company, Company(company_id, company_name, contract))
    role = check(normalize_role, role_name or "user")
    acting = inviter_role or (Role.OPERATOR if role is Role.MAIN_USER else Role.MAIN_USER)
    # The inviter's company is the row's; its errors are reported once, with the company.
    own = company.business_id if company and acting == Role.MAIN_USER else None
    inviter = check(normalize_inviter, Inviter(invited_by, inviter_name, acting, own))
    services = check(normalize_services, services_text or "smartship")
    languages = None
    if languages_text is not None:
        languages = check(
            normalize_languages, _LANGUAGE_SEPARATORS.split(languages_text), LANGUAGES
        )
    if company is not None and inviter is not None and role is not None:
        check(authorize_issue, inviter, company.business_id, role)
        check(_check_contract, company, services or ())
    if check.errors or company is None or inviter is None or role is None:
        return tuple(check.errors)
    return _Party(company, inviter, role, services or (), languages)


def parse_record(line: int, record: dict[str, str]) -> BulkInvite | RowProblem:
    """Check every field of one row; all problems of the row are reported together."""

    def text(name: str) -> str | None:
        return (record.get(name) or "").strip() or None

    missing = tuple(FieldRequired(name) for name in REQUIRED if text(name) is None)
    if missing:
        return RowProblem(line, missing)
    check = _Checks()
    email = check(normalize_email, text("email"))
    first = check(optional_text, "first_name", text("first_name"), limit=MAX_NAME)
    last = check(optional_text, "last_name", text("last_name"), limit=MAX_NAME)
    party = _party(
        text("company_id") or "", text("company_name") or "", text("contract_number"),
        text("invited_by") or "", text("inviter_name"), text("inviter_role"), text("role"),
        text("services"), text("languages"),
    )  # fmt: skip
    if isinstance(party, tuple):
        check.errors.extend(party)
    if check.errors or email is None or not isinstance(party, _Party):
        return RowProblem(line, tuple(check.errors))
    p = party
    return BulkInvite(
        line, email, p.company, p.inviter, p.role, p.services, p.languages, first, last
    )


def _check_contract(company: Company, services: tuple[str, ...]) -> None:
    if "smartship" in services and not company.contract_number:
        raise ContractNumberRequired("contract_number")


def _key(invite: BulkInvite) -> bytes:
    # 16 bytes per row instead of the address itself keeps memory flat.
    text = f"{invite.company.business_id}\0{invite.email.casefold()}"
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def parse_file(path: str | PathLike[str]) -> Iterator[BulkInvite | RowProblem]:
    """Every row, parsed; a second row for the same address and company is a problem
    (it would replace the first row's invitation and kill its link)."""
    seen: dict[bytes, int] = {}
    for line, record in read_records(path):
        if isinstance(record, RowProblem):
            yield record
            continue
        parsed = parse_record(line, record)
        if isinstance(parsed, BulkInvite):
            first = seen.setdefault(_key(parsed), line)
            if first != line:
                parsed = RowProblem(line, (DuplicateRow("email", first_line=first),))
        yield parsed


class CheckedRows:
    """The good rows of the checking pass, kept in a temporary file (not in memory)
    for the sending pass: what is sent is exactly what was checked, even if the CSV
    file changes meanwhile, and no row is parsed and validated twice."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        self._pickler = pickle.Pickler(self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count = 0

    def add(self, row: BulkInvite) -> None:
        self._pickler.dump(row)
        self._pickler.clear_memo()  # a memo would keep every row alive
        self.count += 1

    def __iter__(self) -> Iterator[BulkInvite]:
        self._file.flush()
        self._file.seek(0)
        for _ in range(self.count):
            # Our own file, written just now by this process.
            row = pickle.load(self._file)
            assert isinstance(row, BulkInvite)
            yield row

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> CheckedRows:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
