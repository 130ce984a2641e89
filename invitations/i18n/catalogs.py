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
from invitations.i18n.checks import (
    entry_problems,
    msgid_text,
    reason_in_all,
    shorten,
)
from invitations.i18n.languages import LOCALES

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
        why: dict[str, str] | None = None
        if form is None:
            why = reason_in_all("expected `nplurals=<number>; plural=<expression>;`",
                          "muodon pitää olla `nplurals=<luku>; plural=<lauseke>;`",
                          "formen ska vara `nplurals=<tal>; plural=<uttryck>;`")
        elif not form.group("n").strip().isdigit() or int(form.group("n")) < 1:
            why = reason_in_all(f"nplurals {form.group('n').strip()!r} is not a whole number",
                          f"nplurals {form.group('n').strip()!r} ei ole kokonaisluku",
                          f"nplurals {form.group('n').strip()!r} är inte ett heltal")
        else:
            count = int(form.group("n"))
            try:
                rule = c2py(form.group("expr").strip())
                worst = max(rule(n) for n in range(201))
            except (ValueError, SyntaxError, TypeError, ZeroDivisionError, RecursionError):
                expr = form.group("expr").strip()
                why = reason_in_all(f"plural {expr!r} is not a valid expression",
                                    f"plural {expr!r} ei ole kelvollinen lauseke",
                                    f"plural {expr!r} är inget giltigt uttryck")
            else:
                if worst >= count:
                    why = reason_in_all(f"plural gives form {worst} but nplurals is {count}",
                                  f"plural antaa muodon {worst}, mutta nplurals on {count}",
                                  f"plural ger formen {worst} men nplurals är {count}")
        if why is not None:
            raise CatalogError(path, reason_in_all(
                f"the header's Plural-Forms {value!r} is invalid ({why['en']}); "
                f"write it as in the template, e.g. {_PLURAL_EXAMPLE!r}",
                f"otsakkeen Plural-Forms {value!r} on virheellinen ({why['fi']}); "
                f"kirjoita se kuten mallissa, esim. {_PLURAL_EXAMPLE!r}",
                f"huvudets Plural-Forms {value!r} är ogiltigt ({why['sv']}); "
                f"skriv det som i mallen, t.ex. {_PLURAL_EXAMPLE!r}",
            ), number, kind="plural_forms")


def _decode(path: Path, lang: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if lang not in LOCALES:
            supported = ", ".join(LOCALES)
            raise CatalogError(path, reason_in_all(
                f"language {lang!r} is not supported (supported: {supported})",
                f"kieltä {lang!r} ei tueta (tuetut kielet: {supported})",
                f"språket {lang!r} stöds inte (språk som stöds: {supported})",
            ), kind="unsupported_language") from None
        raise CatalogError(path, reason_in_all(
            "the file does not exist; run `make messages` or reinstall the package",
            "tiedostoa ei ole; aja `make messages` tai asenna paketti uudelleen",
            "filen finns inte; kör `make messages` eller installera paketet på nytt",
        ), kind="not_found") from None
    except OSError as exc:
        raise CatalogError(path, reason_in_all(
            f"the file cannot be read ({exc.strerror}); check its permissions",
            f"tiedostoa ei voi lukea ({exc.strerror}); tarkista sen oikeudet",
            f"filen kan inte läsas ({exc.strerror}); kontrollera behörigheterna",
        ), kind="unreadable") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(path, reason_in_all(
            "the text is not UTF-8; save the file as UTF-8",
            "teksti ei ole UTF-8-muotoista; tallenna tiedosto UTF-8-muodossa",
            "texten är inte UTF-8; spara filen som UTF-8",
        ), raw[: exc.start].count(b"\n") + 1, kind="encoding") from None


def _parse(path: Path, text: str, lang: str, domain: str) -> Catalog:
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not _PO_LINE.fullmatch(line.rstrip("\r")):
            snippet = repr(line.strip()[:60])
            raise CatalogError(path, reason_in_all(
                f"not valid .po syntax: {snippet}; every text must be in double quotes "
                "after msgid/msgstr (compare with the template, `make messages`)",
                f"rivi ei ole kelvollista .po-muotoa: {snippet}; jokaisen tekstin pitää olla "
                "lainausmerkeissä msgid/msgstr-sanan jälkeen (vertaa malliin, `make messages`)",
                f"raden är inte giltig .po-syntax: {snippet}; varje text ska stå inom "
                "citattecken efter msgid/msgstr (jämför med mallen, `make messages`)",
            ), number, kind="syntax")
    _check_plural_forms(path, lines)
    try:
        return read_po(io.StringIO(text), locale=LOCALES.get(lang, lang), domain=domain,
                       abort_invalid=True)
    except PoFileError as exc:
        # Babel counts lines from 0.
        detail = str(exc).rsplit(" on ", 1)[0]
        raise CatalogError(path, reason_in_all(
            f"not a valid .po entry ({detail}); fix the entry as in the template "
            "(`make messages`)",
            f"virheellinen .po-merkintä ({detail}); korjaa merkintä mallin mukaiseksi "
            "(`make messages`)",
            f"ogiltig .po-post ({detail}); rätta posten enligt mallen (`make messages`)",
        ), exc.lineno + 1, kind="syntax") from None
    except (ValueError, IndexError, SyntaxError) as exc:
        raise CatalogError(path, reason_in_all(
            f"the file cannot be parsed ({exc}); compare it with the template "
            "(`make messages`)",
            f"tiedostoa ei voi jäsentää ({exc}); vertaa sitä malliin (`make messages`)",
            f"filen kan inte tolkas ({exc}); jämför den med mallen (`make messages`)",
        ), kind="syntax") from None


def _check_entries(path: Path, lines: list[str], catalog: Catalog) -> None:
    """Refuse fuzzy or empty translations and placeholder slips, in file order."""
    if catalog.fuzzy:
        header = next((n for n, line in enumerate(lines, start=1)
                       if line.startswith("#,") and "fuzzy" in line), None)
        raise CatalogError(path, reason_in_all(
            "the header is marked `#, fuzzy`, so gettext would ignore it; check the header "
            "and remove the fuzzy flag",
            "otsake on merkitty `#, fuzzy`, jolloin gettext ohittaisi sen; tarkista otsake "
            "ja poista fuzzy-merkintä",
            "huvudet är markerat `#, fuzzy`, så gettext skulle strunta i det; granska "
            "huvudet och ta bort fuzzy-markeringen",
        ), header, kind="fuzzy")
    for message in catalog:
        if not message.id:
            continue
        msgid = shorten(msgid_text(message))
        if message.fuzzy:
            raise CatalogError(path, reason_in_all(
                f"the translation of {msgid} is marked fuzzy (unchecked), so the mail "
                "would show it in English; check the translation and remove the "
                "`#, fuzzy` flag",
                f"viestin {msgid} käännös on merkitty epävarmaksi (fuzzy), joten viesti "
                "näkyisi englanniksi; tarkista käännös ja poista `#, fuzzy`-merkintä",
                f"översättningen av {msgid} är markerad som osäker (fuzzy), så texten "
                "skulle visas på engelska; granska översättningen och ta bort "
                "`#, fuzzy`-markeringen",
            ), _fuzzy_line(lines, message.lineno), kind="fuzzy", msgid=msgid_text(message))
        strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        for index, text in enumerate(strs):
            if text and text.strip():
                continue
            plural = isinstance(message.string, (list, tuple))
            label = f"msgstr[{index}]" if plural else "msgstr"
            forms = catalog.num_plurals
            raise CatalogError(path, reason_in_all(
                f"{label} of {msgid} is empty or missing, so the mail would show it in "
                "English; translate it"
                + (f" (every plural form: Plural-Forms asks for {forms})" if plural else ""),
                f"viestin {msgid} {label} on tyhjä tai puuttuu, joten teksti näkyisi "
                "englanniksi; käännä se"
                + (f" (jokainen monikkomuoto: Plural-Forms vaatii {forms})" if plural else ""),
                f"{label} för {msgid} är tom eller saknas, så texten skulle visas på "
                "engelska; översätt den"
                + (f" (varje pluralform: Plural-Forms kräver {forms})" if plural else ""),
            ), _msgstr_line(lines, message.lineno, index), kind="untranslated",
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
                raise CatalogError(path, reason_in_all(
                    f"the entry for {msgid} does not match the template ({expected}); "
                    "run `make messages` and translate the updated entry",
                    f"viestin {msgid} merkintä ei vastaa mallia ({expected}); aja "
                    "`make messages` ja käännä päivitetty merkintä",
                    f"posten för {msgid} stämmer inte med mallen ({expected}); kör "
                    "`make messages` och översätt den uppdaterade posten",
                ), entry.lineno, kind="stale", msgid=str(key))
            continue
        obsolete = catalog.obsolete.get(str(key) if context is None else (str(key), context))
        if obsolete is not None:
            raise CatalogError(path, reason_in_all(
                f"the entry for {msgid} is commented out as obsolete (#~) but the template "
                "still has it, so the mail would show it in English; remove the `#~` "
                "markers and check the translation, or run `make messages`",
                f"viestin {msgid} merkintä on kommentoitu vanhentuneeksi (#~), vaikka mallissa "
                "se on yhä, joten teksti näkyisi englanniksi; poista `#~`-merkit ja tarkista "
                "käännös, tai aja `make messages`",
                f"posten för {msgid} är bortkommenterad som föråldrad (#~) men mallen har den "
                "kvar, så texten skulle visas på engelska; ta bort `#~`-markeringarna och "
                "granska översättningen, eller kör `make messages`",
            ), obsolete.lineno, kind="obsolete", msgid=str(key))
        stale = next((m for m in catalog if m.id and msgid_text(m) not in wanted_keys), None)
        hint_en = hint_fi = hint_sv = ""
        if stale is not None:
            old = shorten(msgid_text(stale))
            hint_en = f" (line {stale.lineno} has {old}, which the template no longer has)"
            hint_fi = f" (rivillä {stale.lineno} on {old}, jota mallissa ei enää ole)"
            hint_sv = f" (rad {stale.lineno} har {old}, som mallen inte längre har)"
        raise CatalogError(path, reason_in_all(
            f"the template {template.name} has msgid {msgid} but this file has no entry for "
            f"it{hint_en}, so the mail would show it in English; run `make messages` and "
            "translate it",
            f"mallissa {template.name} on msgid {msgid}, mutta tästä tiedostosta se puuttuu"
            f"{hint_fi}, joten teksti näkyisi englanniksi; aja `make messages` ja käännä se",
            f"mallen {template.name} har msgid {msgid} men den här filen saknar posten"
            f"{hint_sv}, så texten skulle visas på engelska; kör `make messages` och "
            "översätt den",
        ), kind="missing", msgid=str(key))


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
