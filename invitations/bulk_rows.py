"""Rows of a bulk-invitation CSV file: read them streaming, check each one.

Columns (header row; ``;`` or tab also accepted as separator): ``email``,
``company_id``, ``company_name``, ``invited_by`` are required; ``first_name``,
``last_name``, ``languages`` (``fi,sv,en``; ``fi sv en`` or ``fi|sv|en`` too),
``role`` (``user``/``main_user``), ``contract_number``, ``inviter_name``,
``inviter_role`` (default: ``operator`` for main-user rows, else ``main_user``)
and ``services`` are optional. A row gets the same checks as ``send_invite``.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import pickle
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any, TypeVar

from .errors import (
    LANGUAGES,
    ContractNumberRequired,
    FieldRequired,
    InvalidInput,
    InvitationError,
)
from .models import Company, Inviter, Role
from .rules import authorize_issue
from .validation import (
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


class CSVFormatError(InvalidInput):
    """The file itself is unusable (no header, missing columns, not UTF-8)."""

    code = "csv_format"
    messages = {
        "fi": "CSV-tiedostoa ei voi käyttää: {reason}. Tarkista otsikkorivi ja merkistö (UTF-8).",
        "sv": "CSV-filen kan inte användas: {reason}. Kontrollera rubrikraden och "
        "teckenkodningen (UTF-8).",
        "en": "The CSV file cannot be used: {reason}. Check the header row and the "
        "encoding (UTF-8).",
    }


class DuplicateRow(InvalidInput):
    """The same address and company appear twice; the second would replace the first."""

    code = "duplicate_row"
    messages = {
        "fi": "Sama sähköpostiosoite ja yritys ovat jo rivillä {first_line}. Poista toinen rivi.",
        "sv": "Samma e-postadress och företag finns redan på rad {first_line}. Ta bort den "
        "ena raden.",
        "en": "The same e-mail address and company are already on line {first_line}. Remove "
        "one of the rows.",
    }


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


def read_records(path: str | PathLike[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line number, row)`` pairs, streamed; the header names are normalised."""
    try:
        handle = Path(path).open(encoding="utf-8-sig", newline="")  # noqa: SIM115 (with below)
    except OSError as error:
        raise CSVFormatError("csv", reason=f"{path}: {error.strerror or error}") from None
    with handle:
        try:
            header = handle.readline()
        except UnicodeDecodeError:
            raise CSVFormatError("csv", reason="the header row is not UTF-8 text") from None
        delimiter = max(",;\t", key=header.count)
        names = next(csv.reader(io.StringIO(header), delimiter=delimiter), [])
        columns = [name.strip().lower().replace(" ", "_").replace("-", "_") for name in names]
        missing = [name for name in REQUIRED if name not in columns]
        if missing:
            raise CSVFormatError("csv", reason=f"missing column(s) {', '.join(missing)}")
        reader = csv.reader(handle, delimiter=delimiter)
        line = 1
        try:
            for values in reader:
                line, start = reader.line_num + 1, line + 1
                if not any(v.strip() for v in values):
                    continue
                yield start, dict(zip(columns, values, strict=False))
        except UnicodeDecodeError:
            raise CSVFormatError("csv", reason=f"line {line + 1} is not UTF-8 text") from None
        except csv.Error as error:
            raise CSVFormatError("csv", reason=f"line {line + 1}: {error}") from None


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
