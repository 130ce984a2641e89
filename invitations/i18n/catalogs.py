"""Reading a ``.po`` catalog strictly: every problem is a :class:`CatalogError`.

Refused, each with ``file:line`` and what to do in Finnish, Swedish and
English: syntax Babel would let through, an encoding other than UTF-8, a
fuzzy header or entry, an empty msgstr (any plural form), a placeholder slip,
an unusable Plural-Forms header, and, against the domain's ``.pot`` template,
a message with no entry or only an obsolete (``#~``) one. Each of those would
otherwise show a sentence in English. :mod:`invitations.i18n.runtime` compiles what
this module reads.
"""

from __future__ import annotations

import io
import re
from functools import cache
from gettext import c2py
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import PoFileError, read_po

from invitations.errors import CatalogError
from invitations.i18n.checks import entry_problems, msgid_text, shorten
from invitations.i18n.formatting import Text
from invitations.i18n.languages import LOCALES
from invitations.i18n.texts import T_

__all__ = ["DEFAULT_DOMAIN", "clear_template_cache", "read_catalog"]

DEFAULT_DOMAIN = "messages"

# What a .po line may be: a comment, a keyword with one quoted string, or a
# continuation string. Babel's parser accepts some broken lines silently.
_PO_LINE = re.compile(
    r'\s*(?:#.*|(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*)?'
)


def _msgstr_line(lines: list[str], msgid_line: int | None, index: int | None) -> int | None:
    """The 1-based line of ``msgstr`` (``msgstr[index]``) of the entry at ``msgid_line``."""
    if msgid_line is None or index is None:
        return msgid_line
    keyword = re.compile(rf"\s*msgstr(?:\[{index}\])?\s")
    for number in range(msgid_line - 1, min(len(lines), msgid_line + 200)):
        line = lines[number]
        if number >= msgid_line and not line.strip():
            break
        if keyword.match(line):
            return number + 1
    return msgid_line


def _fuzzy_line(lines: list[str], msgid_line: int | None) -> int | None:
    """The 1-based line of the ``#, fuzzy`` flag above the entry at ``msgid_line``."""
    if msgid_line is None:
        return None
    number = msgid_line - 2
    while number >= 0 and (lines[number].startswith("#") or lines[number].startswith("msgctxt")):
        if lines[number].startswith("#,") and "fuzzy" in lines[number]:
            return number + 1
        number -= 1
    return msgid_line


_PLURAL_FORMS = re.compile(r"\s*nplurals\s*=\s*(?P<n>[^;]*);\s*plural\s*=\s*(?P<expr>[^;]*);?\s*")
_PLURAL_EXAMPLE = "Plural-Forms: nplurals=2; plural=(n != 1);"


def _check_plural_forms(path: Path, lines: list[str]) -> None:
    """Refuse a header whose Plural-Forms Babel or gettext cannot use."""
    started = False
    for number, line in enumerate(lines, start=1):
        started = started or line.startswith("msgid")
        if started and not line.strip():
            break  # the header entry ends at the first blank line after its msgid
        found = re.match(r'\s*(?:msgstr\s+)?"Plural-Forms:(?P<value>.*?)(?:\\n)?"\s*$', line)
        if not found:
            continue
        value = found.group("value").strip()
        form = _PLURAL_FORMS.fullmatch(value)
        why: Text | None = None
        if form is None:
            why = Text(T_("expected `nplurals=<number>; plural=<expression>;`"))
        elif not form.group("n").strip().isdigit() or int(form.group("n")) < 1:
            why = Text(T_("nplurals %(value)s is not a whole number"),
                       value=repr(form.group("n").strip()))
        else:
            count = int(form.group("n"))
            try:
                rule = c2py(form.group("expr").strip())
                worst = max(rule(n) for n in range(201))
            except (ValueError, SyntaxError, TypeError, ZeroDivisionError, RecursionError):
                expr = form.group("expr").strip()
                why = Text(T_("plural %(expression)s is not a valid expression"),
                           expression=repr(expr))
            else:
                if worst >= count:
                    why = Text(T_("plural gives form %(form)s but nplurals is %(count)s"),
                               form=worst, count=count)
        if why is not None:
            raise CatalogError(path, Text(T_(
                "the header's Plural-Forms %(value)s is invalid (%(why)s); "
                "write it as in the template, e.g. %(example)s"
            ), value=repr(value), why=why, example=repr(_PLURAL_EXAMPLE)),
                number, kind="plural_forms")


def _decode(path: Path, lang: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if lang not in LOCALES:
            supported = ", ".join(LOCALES)
            raise CatalogError(path, Text(
                T_("language %(lang)s is not supported (supported: %(supported)s)"),
                lang=repr(lang), supported=supported,
            ), kind="unsupported_language") from None
        raise CatalogError(path, Text(
            T_("the file does not exist; run `make messages` or reinstall the package"),
        ), kind="not_found") from None
    except OSError as exc:
        raise CatalogError(path, Text(
            T_("the file cannot be read (%(error)s); check its permissions"), error=exc.strerror,
        ), kind="unreadable") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(path, Text(T_("the text is not UTF-8; save the file as UTF-8")),
                           raw[: exc.start].count(b"\n") + 1, kind="encoding") from None


def _parse(path: Path, text: str, lang: str, domain: str) -> Catalog:
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not _PO_LINE.fullmatch(line.rstrip("\r")):
            snippet = repr(line.strip()[:60])
            raise CatalogError(path, Text(T_(
                "not valid .po syntax: %(line)s; every text must be in double quotes "
                "after msgid/msgstr (compare with the template, `make messages`)"
            ), line=snippet), number, kind="syntax")
    _check_plural_forms(path, lines)
    try:
        return read_po(io.StringIO(text), locale=LOCALES.get(lang, lang), domain=domain,
                       abort_invalid=True)
    except PoFileError as exc:
        # Babel counts lines from 0.
        detail = str(exc).rsplit(" on ", 1)[0]
        raise CatalogError(path, Text(T_(
            "not a valid .po entry (%(detail)s); fix the entry as in the template "
            "(`make messages`)"
        ), detail=detail), exc.lineno + 1, kind="syntax") from None
    except (ValueError, IndexError, SyntaxError) as exc:
        raise CatalogError(path, Text(T_(
            "the file cannot be parsed (%(error)s); compare it with the template "
            "(`make messages`)"
        ), error=str(exc)), kind="syntax") from None


def _check_entries(path: Path, lines: list[str], catalog: Catalog) -> None:
    """Refuse fuzzy or empty translations and placeholder slips, in file order."""
    if catalog.fuzzy:
        header = next((n for n, line in enumerate(lines, start=1)
                       if line.startswith("#,") and "fuzzy" in line), None)
        raise CatalogError(path, Text(T_(
            "the header is marked `#, fuzzy`, so gettext would ignore it; check the header "
            "and remove the fuzzy flag"
        )), header, kind="fuzzy")
    for message in catalog:
        if not message.id:
            continue
        msgid = shorten(msgid_text(message))
        if message.fuzzy:
            raise CatalogError(path, Text(T_(
                "the translation of %(msgid)s is marked fuzzy (unchecked), so the mail "
                "would show it in English; check the translation and remove the "
                "`#, fuzzy` flag"
            ), msgid=msgid), _fuzzy_line(lines, message.lineno), kind="fuzzy",
                msgid=msgid_text(message))
        strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        for index, text in enumerate(strs):
            if text and text.strip():
                continue
            plural = isinstance(message.string, (list, tuple))
            label = f"msgstr[{index}]" if plural else "msgstr"
            empty = (T_("%(label)s of %(msgid)s is empty or missing, so the mail would show "
                        "it in English; translate it (every plural form: Plural-Forms asks "
                        "for %(forms)s)") if plural else
                     T_("%(label)s of %(msgid)s is empty or missing, so the mail would show "
                        "it in English; translate it"))
            raise CatalogError(path, Text(empty, label=label, msgid=msgid,
                                          forms=catalog.num_plurals),
                               _msgstr_line(lines, message.lineno, index), kind="untranslated",
                               msgid=msgid_text(message))
        for problem in entry_problems(message):
            raise CatalogError(path, problem.reason,
                               _msgstr_line(lines, message.lineno, problem.index),
                               kind="placeholder", msgid=msgid_text(message))


@cache
def _template_ids(template: Path) -> tuple[tuple[object, object, str | None], ...]:
    """(key, full msgid, context) of every message of the ``.pot`` ``template``."""
    text = _decode(template, "en")
    catalog = _parse(template, text, "en", template.stem)
    return tuple(
        (msgid_text(m), m.id, m.context) for m in catalog if m.id
    )


def _check_template(path: Path, catalog: Catalog, template: Path) -> None:
    """Refuse a catalog that lacks (or comments out) a message of its template."""
    wanted = _template_ids(template)
    wanted_keys = {key for key, _, _ in wanted}
    for key, full_id, context in wanted:
        entry = catalog.get(str(key), context=context)
        msgid = shorten(str(key))
        if entry is not None:
            if entry.id != full_id:
                expected = (f"msgid_plural {shorten(str(full_id[1]))}"
                            if isinstance(full_id, (list, tuple)) else "no msgid_plural")
                raise CatalogError(path, Text(T_(
                    "the entry for %(msgid)s does not match the template (%(expected)s); "
                    "run `make messages` and translate the updated entry"
                ), msgid=msgid, expected=expected), entry.lineno, kind="stale",
                    msgid=str(key))
            continue
        obsolete = catalog.obsolete.get(str(key) if context is None else (str(key), context))
        if obsolete is not None:
            raise CatalogError(path, Text(T_(
                "the entry for %(msgid)s is commented out as obsolete (#~) but the template "
                "still has it, so the mail would show it in English; remove the `#~` "
                "markers and check the translation, or run `make messages`"
            ), msgid=msgid), obsolete.lineno, kind="obsolete", msgid=str(key))
        stale = next((m for m in catalog if m.id and msgid_text(m) not in wanted_keys), None)
        hint: Text | str = ""
        if stale is not None:
            hint = Text(T_(" (line %(line)s has %(old)s, which the template no longer has)"),
                        line=stale.lineno, old=shorten(msgid_text(stale)))
        raise CatalogError(path, Text(T_(
            "the template %(template)s has msgid %(msgid)s but this file has no entry for "
            "it%(hint)s, so the mail would show it in English; run `make messages` and "
            "translate it"
        ), template=template.name, msgid=msgid, hint=hint), kind="missing", msgid=str(key))


def read_catalog(
    path: Path, lang: str, domain: str = DEFAULT_DOMAIN, template: Path | None = None
) -> Catalog:
    """Parse ``path`` strictly; raise :class:`CatalogError` naming file and line.

    Refused besides syntax errors: a fuzzy header or entry, an empty msgstr
    (any plural form), a placeholder slip, and, checked against ``template``
    (the domain's ``.pot``; by default ``<locales>/<domain>.pot`` when ``path``
    sits in ``<locales>/<lang>/LC_MESSAGES/`` and that file exists), a
    template message that has no entry or only an obsolete (``#~``) one.
    Each of those would otherwise show English in a mail.
    """
    text = _decode(path, lang)
    catalog = _parse(path, text, lang, domain)
    _check_entries(path, text.split("\n"), catalog)
    if template is None and path.parent.name == "LC_MESSAGES":
        beside = path.parent.parent.parent / f"{domain}.pot"
        template = beside if beside.is_file() else None
    if template is not None:
        _check_template(path, catalog, template)
    return catalog


def clear_template_cache() -> None:
    """Forget the templates read so far (tests; a long-running preview after editing)."""
    _template_ids.cache_clear()
