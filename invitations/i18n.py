"""Translations and locale formatting, loaded once per process.

Catalogs are the ``.po`` files under :func:`invitations.resources.locales_dir`;
they are compiled in memory with Babel when first needed, so no ``.mo`` file
has to exist in a checkout or a wheel. A configured language whose catalog is
missing or broken is a :class:`CatalogError` at start-up (call :func:`preload`)
— never a silent fall back to English. "Broken" includes what would show a
sentence in English: a message of the domain's ``.pot`` template (beside the
language folders) with no entry, only an obsolete ``#~`` one, a fuzzy entry or
an empty msgstr (any plural form), and an unusable Plural-Forms header. Every
error names ``file:line`` and says what to do, in Finnish, Swedish and English.

Other parts (the web pages) reuse :func:`language` for their own strings,
optionally from their own catalog domain (``locales/<lang>/LC_MESSAGES/<domain>.po``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from gettext import c2py
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po
from babel.support import Translations

from ._labels import localized
from .errors import ConfigurationError, InvitationError
from .resources import locales_dir

#: Babel locale per language: Finnish-style dates for Finnish and Swedish readers.
LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}
#: Every time a person reads is Finnish time.
TIMEZONE = ZoneInfo("Europe/Helsinki")
DEFAULT_DOMAIN = "messages"

# What a .po line may be: a comment, a keyword with one quoted string, or a
# continuation string. Babel's parser accepts some broken lines silently.
_PO_LINE = re.compile(
    r'\s*(?:#.*|(?:(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+)?"(?:[^"\\]|\\.)*"\s*)?'
)
# A Python %-placeholder as newstyle gettext formats it: %(name)s, or %% for a literal %.
_PERCENT = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<spec>[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%])?")


#: A reason in every language: {"fi": ..., "sv": ..., "en": ...}.
Reason = Mapping[str, str]


def _reason(en: str, fi: str, sv: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


class CatalogError(ConfigurationError):
    """A translation catalog is missing or broken (names the file and line).

    ``kind`` says what is wrong (stable, for tests and logs): ``not_found``,
    ``unsupported_language``, ``unreadable``, ``encoding``, ``syntax``,
    ``plural_forms``, ``fuzzy``, ``untranslated``, ``missing``, ``obsolete``,
    ``stale`` or ``placeholder``. Every language's message carries the detail
    and what to do about it.
    """

    code = "catalog_error"
    messages = {
        "fi": "Käännöstiedostoa {where} ei voi käyttää: {reason}.",
        "sv": "Översättningsfilen {where} kan inte användas: {reason}.",
        "en": "The translation catalog {where} cannot be used: {reason}.",
    }

    def __init__(
        self, path: Path, reason: str | Reason, line: int | None = None, *,
        kind: str = "invalid", msgid: str | None = None,
    ) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        self.reasons: dict[str, str] = (
            {"en": reason} if isinstance(reason, str) else dict(reason)
        )
        self.path = path
        self.line = line
        self.kind = kind
        self.msgid = msgid
        self.reason = self.reasons["en"]
        InvitationError.__init__(self, None, where=where, reason=self.reason)

    def _params_for(self, lang: str) -> dict[str, object]:
        return {**self.params, "reason": localized(self.reasons, lang).rstrip(".")}


def catalog_path(lang: str, domain: str = DEFAULT_DOMAIN) -> Path:
    """Where the ``.po`` file of ``lang`` and ``domain`` lives."""
    return locales_dir() / lang / "LC_MESSAGES" / f"{domain}.po"


def template_path(domain: str = DEFAULT_DOMAIN) -> Path:
    """Where the ``.pot`` template of ``domain`` lives (beside the language folders)."""
    return locales_dir() / f"{domain}.pot"


def placeholders(text: str) -> tuple[list[str], list[str]]:
    """Return (named placeholders, malformed %-sequences) found in ``text``.

    ``%%`` is a literal percent sign and counts as neither. Anything else
    starting with ``%`` that is not ``%(name)s`` is malformed: newstyle
    gettext always %-formats, so it would crash (or garble) the render.
    """
    names: list[str] = []
    bad: list[str] = []
    for match in _PERCENT.finditer(text):
        token, name, spec = match.group(0), match.group("name"), match.group("spec")
        if token == "%%":
            continue
        if name and spec == "s":
            names.append(name)
        else:
            bad.append(token)
    return sorted(names), bad


@dataclass(frozen=True)
class _Problem:
    """One placeholder problem: where (msgstr form, None for the msgid) and why."""

    index: int | None
    reason: dict[str, str]


def _as_placeholders(names: Iterable[str]) -> str:
    return ", ".join(f"%({name})s" for name in sorted(names)) or "-"


def _problems(message: Message) -> Iterator[_Problem]:
    ids = message.id if isinstance(message.id, (list, tuple)) else (message.id,)
    strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    wanted, bad_id = placeholders(ids[-1])
    for token in bad_id:
        yield _Problem(None, _reason(
            f"msgid uses {token!r}: write a literal percent sign as %% "
            "(fix the source and run `make messages`)",
            f"msgid käyttää merkintää {token!r}: kirjoita prosenttimerkki muodossa %% "
            "(korjaa lähdekoodi ja aja `make messages`)",
            f"msgid använder {token!r}: skriv ett procenttecken som %% "
            "(rätta källkoden och kör `make messages`)",
        ))
    expected = set(wanted)
    listed = _as_placeholders(expected)
    for index, text in enumerate(strs):
        if not text:
            continue
        names, bad = placeholders(text)
        label = f"msgstr[{index}]" if len(strs) > 1 else "msgstr"
        for token in bad:
            match = _PERCENT.fullmatch(token)
            name = match.group("name") if match else None
            if name and name in expected:
                yield _Problem(index, _reason(
                    f"{label} uses {token!r}: write the placeholder exactly as in the "
                    f"msgid, %({name})s",
                    f"{label} käyttää merkintää {token!r}: kirjoita paikkamerkki täsmälleen "
                    f"kuten msgid:ssä, %({name})s",
                    f"{label} använder {token!r}: skriv platshållaren exakt som i msgid, "
                    f"%({name})s",
                ))
            elif name:
                yield _Problem(index, _reason(
                    f"{label} uses {token!r}, which the msgid does not have: use only "
                    f"the msgid's placeholders ({listed})",
                    f"{label} käyttää merkintää {token!r}, jota msgid:ssä ei ole: käytä vain "
                    f"msgid:n paikkamerkkejä ({listed})",
                    f"{label} använder {token!r}, som msgid inte har: använd bara "
                    f"msgid:s platshållare ({listed})",
                ))
            else:
                yield _Problem(index, _reason(
                    f"{label} uses {token!r}: write a literal percent sign as %% and "
                    f"placeholders exactly as in the msgid ({listed})",
                    f"{label} käyttää merkintää {token!r}: kirjoita prosenttimerkki muodossa "
                    f"%% ja paikkamerkit täsmälleen kuten msgid:ssä ({listed})",
                    f"{label} använder {token!r}: skriv ett procenttecken som %% och "
                    f"platshållarna exakt som i msgid ({listed})",
                ))
        # A singular form may leave out the count (Finnish "yhden" for 1), nothing else.
        have = set(names)
        if len(strs) > 1 and index == 0 and have == expected - {"count"}:
            continue
        missing, extra = expected - have, have - expected
        if not missing and not extra:
            continue
        en, fi, sv = [], [], []
        if missing:
            en.append(f"{label} lacks {_as_placeholders(missing)}")
            fi.append(f"{label}-tekstistä puuttuu {_as_placeholders(missing)}")
            sv.append(f"{label} saknar {_as_placeholders(missing)}")
        if extra:
            en.append(f"{label} has {_as_placeholders(extra)}, which the msgid does not have")
            fi.append(f"{label}-tekstissä on {_as_placeholders(extra)}, jota msgid:ssä ei ole")
            sv.append(f"{label} har {_as_placeholders(extra)}, som msgid inte har")
        yield _Problem(index, _reason(
            " and ".join(en) + f": keep the placeholders exactly as in the msgid ({listed})",
            " ja ".join(fi) + f": säilytä paikkamerkit täsmälleen kuten msgid:ssä ({listed})",
            " och ".join(sv) + f": behåll platshållarna exakt som i msgid ({listed})",
        ))


def message_problems(message: Message) -> Iterator[str]:
    """Placeholder problems of one translated message, in English (empty when fine).

    Every msgstr must use exactly the placeholders of its msgid (for plurals:
    of the plural msgid) and write a literal ``%`` as ``%%``.
    """
    for problem in _problems(message):
        yield problem.reason["en"]


def _msgid_text(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, (list, tuple)) else message.id)


def _short(msgid: str) -> str:
    return repr(msgid if len(msgid) <= 60 else msgid[:57] + "...")


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
            why = _reason("expected `nplurals=<number>; plural=<expression>;`",
                          "muodon pitää olla `nplurals=<luku>; plural=<lauseke>;`",
                          "formen ska vara `nplurals=<tal>; plural=<uttryck>;`")
        elif not form.group("n").strip().isdigit() or int(form.group("n")) < 1:
            why = _reason(f"nplurals {form.group('n').strip()!r} is not a whole number",
                          f"nplurals {form.group('n').strip()!r} ei ole kokonaisluku",
                          f"nplurals {form.group('n').strip()!r} är inte ett heltal")
        else:
            count = int(form.group("n"))
            try:
                rule = c2py(form.group("expr").strip())
                worst = max(rule(n) for n in range(201))
            except (ValueError, SyntaxError, TypeError, ZeroDivisionError, RecursionError):
                why = _reason(f"plural {form.group('expr').strip()!r} is not a valid expression",
                              f"plural {form.group('expr').strip()!r} ei ole kelvollinen lauseke",
                              f"plural {form.group('expr').strip()!r} är inget giltigt uttryck")
            else:
                if worst >= count:
                    why = _reason(f"plural gives form {worst} but nplurals is {count}",
                                  f"plural antaa muodon {worst}, mutta nplurals on {count}",
                                  f"plural ger formen {worst} men nplurals är {count}")
        if why is not None:
            raise CatalogError(path, _reason(
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
            raise CatalogError(path, _reason(
                f"language {lang!r} is not supported (supported: {supported})",
                f"kieltä {lang!r} ei tueta (tuetut kielet: {supported})",
                f"språket {lang!r} stöds inte (språk som stöds: {supported})",
            ), kind="unsupported_language") from None
        raise CatalogError(path, _reason(
            "the file does not exist; run `make messages` or reinstall the package",
            "tiedostoa ei ole; aja `make messages` tai asenna paketti uudelleen",
            "filen finns inte; kör `make messages` eller installera paketet på nytt",
        ), kind="not_found") from None
    except OSError as exc:
        raise CatalogError(path, _reason(
            f"the file cannot be read ({exc.strerror}); check its permissions",
            f"tiedostoa ei voi lukea ({exc.strerror}); tarkista sen oikeudet",
            f"filen kan inte läsas ({exc.strerror}); kontrollera behörigheterna",
        ), kind="unreadable") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogError(path, _reason(
            "the text is not UTF-8; save the file as UTF-8",
            "teksti ei ole UTF-8-muotoista; tallenna tiedosto UTF-8-muodossa",
            "texten är inte UTF-8; spara filen som UTF-8",
        ), raw[: exc.start].count(b"\n") + 1, kind="encoding") from None


def _parse(path: Path, text: str, lang: str, domain: str) -> Catalog:
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not _PO_LINE.fullmatch(line.rstrip("\r")):
            snippet = repr(line.strip()[:60])
            raise CatalogError(path, _reason(
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
        raise CatalogError(path, _reason(
            f"not a valid .po entry ({detail}); fix the entry as in the template "
            "(`make messages`)",
            f"virheellinen .po-merkintä ({detail}); korjaa merkintä mallin mukaiseksi "
            "(`make messages`)",
            f"ogiltig .po-post ({detail}); rätta posten enligt mallen (`make messages`)",
        ), exc.lineno + 1, kind="syntax") from None
    except (ValueError, IndexError, SyntaxError) as exc:
        raise CatalogError(path, _reason(
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
        raise CatalogError(path, _reason(
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
        msgid = _short(_msgid_text(message))
        if message.fuzzy:
            raise CatalogError(path, _reason(
                f"the translation of {msgid} is marked fuzzy (unchecked), so the mail "
                "would show it in English; check the translation and remove the "
                "`#, fuzzy` flag",
                f"viestin {msgid} käännös on merkitty epävarmaksi (fuzzy), joten viesti "
                "näkyisi englanniksi; tarkista käännös ja poista `#, fuzzy`-merkintä",
                f"översättningen av {msgid} är markerad som osäker (fuzzy), så texten "
                "skulle visas på engelska; granska översättningen och ta bort "
                "`#, fuzzy`-markeringen",
            ), _fuzzy_line(lines, message.lineno), kind="fuzzy", msgid=_msgid_text(message))
        strs = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        for index, text in enumerate(strs):
            if text and text.strip():
                continue
            plural = isinstance(message.string, (list, tuple))
            label = f"msgstr[{index}]" if plural else "msgstr"
            forms = catalog.num_plurals
            raise CatalogError(path, _reason(
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
                msgid=_msgid_text(message))
        for problem in _problems(message):
            raise CatalogError(path, problem.reason,
                               _msgstr_line(lines, message.lineno, problem.index),
                               kind="placeholder", msgid=_msgid_text(message))


@cache
def _template_ids(template: Path) -> tuple[tuple[object, object, str | None], ...]:
    """(key, full msgid, context) of every message of the ``.pot`` ``template``."""
    text = _decode(template, "en")
    catalog = _parse(template, text, "en", template.stem)
    return tuple(
        (_msgid_text(m), m.id, m.context) for m in catalog if m.id
    )


def _check_template(path: Path, catalog: Catalog, template: Path) -> None:
    """Refuse a catalog that lacks (or comments out) a message of its template."""
    wanted = _template_ids(template)
    wanted_keys = {key for key, _, _ in wanted}
    for key, full_id, context in wanted:
        entry = catalog.get(str(key), context=context)
        msgid = _short(str(key))
        if entry is not None:
            if entry.id != full_id:
                expected = (f"msgid_plural {_short(str(full_id[1]))}"
                            if isinstance(full_id, (list, tuple)) else "no msgid_plural")
                raise CatalogError(path, _reason(
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
            raise CatalogError(path, _reason(
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
        stale = next((m for m in catalog if m.id and _msgid_text(m) not in wanted_keys), None)
        hint_en = hint_fi = hint_sv = ""
        if stale is not None:
            old = _short(_msgid_text(stale))
            hint_en = f" (line {stale.lineno} has {old}, which the template no longer has)"
            hint_fi = f" (rivillä {stale.lineno} on {old}, jota mallissa ei enää ole)"
            hint_sv = f" (rad {stale.lineno} har {old}, som mallen inte längre har)"
        raise CatalogError(path, _reason(
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


@cache
def translations(lang: str, domain: str = DEFAULT_DOMAIN) -> Translations:
    """The compiled catalog of ``lang`` (cached for the life of the process)."""
    path = catalog_path(lang, domain)
    catalog = read_catalog(path, lang, domain, template=template_path(domain))
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer, domain=domain)


@cache
def babel_locale(lang: str) -> Locale:
    """The Babel locale used to format dates and numbers for ``lang``."""
    try:
        return Locale.parse(LOCALES.get(lang, lang))
    except (ValueError, UnknownLocaleError):
        raise ConfigurationError(
            f"unknown language {lang!r}: use a language code such as fi, sv or en"
        ) from None


@cache
def _datetime_pattern(lang: str) -> str:
    # Short date and time joined the way the locale says "date at time":
    # fi "14.3.2025 klo 15.05", sv "14.3.2025 kl. 15.05", en_GB "14/03/2025 at 15:05".
    locale = babel_locale(lang)
    joiner = locale.datetime_formats_relative.get("long") or locale.datetime_formats["short"]
    date = locale.date_formats["short"].pattern
    time = locale.time_formats["short"].pattern
    return str(joiner).replace("{1}", date).replace("{0}", time)


@dataclass(frozen=True)
class Language:
    """gettext, ngettext and date formatting for one language, bound together."""

    code: str
    locale: Locale
    translations: Translations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def format_datetime(self, when: datetime) -> str:
        """Exact date and minute in Finnish time, e.g. ``14.3.2025 klo 15.05``."""
        return format_datetime(
            when, _datetime_pattern(self.code), tzinfo=TIMEZONE, locale=self.locale
        )


@cache
def language(lang: str, domain: str = DEFAULT_DOMAIN) -> Language:
    """Everything needed to speak ``lang``; cached, raises :class:`CatalogError`."""
    catalog = translations(lang, domain)  # first: a missing file is the clearer error
    return Language(lang, babel_locale(lang), catalog)


def clear_cache() -> None:
    """Forget every loaded catalog (tests; a long-running preview after editing)."""
    language.cache_clear()
    translations.cache_clear()
    _template_ids.cache_clear()


def preload(languages: Iterable[str], domains: Iterable[str] = (DEFAULT_DOMAIN,)) -> None:
    """Load every catalog now so a broken one fails start-up, not a later send."""
    for domain in domains:
        for lang in languages:
            language(lang, domain)
