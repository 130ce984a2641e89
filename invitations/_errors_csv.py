"""Why a bulk CSV file as a whole cannot be used, in Finnish, Swedish and English."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ._errors_input import InvalidInput
from ._labels import localized

__all__ = ["CSVFormatError", "_format_error"]


class CSVFormatError(InvalidInput):
    """The file itself is unusable: empty, no rows, a bad header row (missing, unknown,
    duplicate or unnamed columns), not UTF-8, an unterminated quote.

    ``problems`` are ``(key, params)`` pairs, each worded per language from
    :attr:`reasons`; ``reason=`` gives a ready text instead (any language).
    """

    code = "csv_format"
    messages = {
        "fi": "CSV-tiedostoa ei voi käyttää: {reason}.",
        "sv": "CSV-filen kan inte användas: {reason}.",
        "en": "The CSV file cannot be used: {reason}.",
    }
    reasons = {
        "unreadable": {
            "fi": "tiedostoa {path} ei voi lukea ({error})",
            "sv": "filen {path} kan inte läsas ({error})",
            "en": "{path} cannot be read ({error})",
        },
        "empty": {
            "fi": "tiedosto on tyhjä. Ensimmäiselle riville tulevat sarakkeiden nimet "
            "({required}), sen jälkeen rivi kutakin kutsuttavaa kohden",
            "sv": "filen är tom. Den första raden ska ha kolumnernas namn ({required}), "
            "sedan en rad per person som ska bjudas in",
            "en": "the file is empty. The first line names the columns ({required}), then "
            "one row follows for each person to invite",
        },
        "no_rows": {
            "fi": "tiedostossa on vain otsikkorivi eikä yhtään riviä. Lisää rivi kutakin "
            "kutsuttavaa kohden",
            "sv": "filen har bara rubrikraden och inga rader. Lägg till en rad per person "
            "som ska bjudas in",
            "en": "the file has a header row but no rows. Add one row for each person to "
            "invite",
        },
        "missing": {
            "fi": "otsikkoriviltä (rivi {line}) puuttuu sarake {columns}. Ensimmäisellä "
            "rivillä pitää olla sarakkeiden nimet; pakolliset ovat {required}",
            "sv": "rubrikraden (rad {line}) saknar kolumnen {columns}. Den första raden ska "
            "ha kolumnernas namn; obligatoriska är {required}",
            "en": "the header row (line {line}) lacks the column(s) {columns}. The first line "
            "names the columns; required are {required}",
        },
        "unknown": {
            "fi": "tuntematon sarake {columns}. Korjaa sarakkeen nimi; tunnetut sarakkeet "
            "ovat {known}",
            "sv": "okänd kolumn {columns}. Rätta kolumnens namn; kända kolumner är {known}",
            "en": "unknown column(s) {columns}. Correct the column name; the known columns "
            "are {known}",
        },
        "duplicate": {
            "fi": "sarake {column} on otsikkorivillä kahdesti (sarakkeet {first} ja {second}). "
            "Poista tai nimeä uudelleen toinen niistä",
            "sv": "kolumnen {column} finns två gånger på rubrikraden (kolumnerna {first} och "
            "{second}). Ta bort eller byt namn på den ena",
            "en": "the column {column} appears twice in the header row (columns {first} and "
            "{second}). Delete or rename one of them",
        },
        "unnamed": {
            "fi": "otsikkorivin sarakkeella {position} ei ole nimeä. Anna sille nimi tai "
            "poista sarake",
            "sv": "kolumn {position} på rubrikraden har inget namn. Ge den ett namn eller ta "
            "bort kolumnen",
            "en": "column {position} of the header row has no name. Name it or delete the "
            "column",
        },
        "not_utf8": {
            "fi": "rivillä {line} on tavu {byte}, joka ei ole UTF-8-tekstiä. Tallenna tiedosto "
            "muodossa CSV UTF-8",
            "sv": "rad {line} har byten {byte} som inte är UTF-8-text. Spara filen som "
            "CSV UTF-8",
            "en": "line {line} has a byte ({byte}) that is not UTF-8 text. Save the file as "
            "CSV UTF-8",
        },
        "unterminated": {
            "fi": "päättymätön lainausmerkki rivin {line} arvossa: arvo jatkuu tiedoston "
            "loppuun. Lisää puuttuva lainausmerkki (\") tai poista ylimääräinen",
            "sv": "citattecknet i värdet på rad {line} avslutas aldrig: värdet fortsätter till "
            "filens slut. Lägg till det saknade citattecknet (\") eller ta bort det "
            "överflödiga",
            "en": "unterminated quote starting on line {line}: the value runs to the end of "
            "the file. Add the missing closing quote (\") or remove the stray one",
        },
        "runaway": {
            "fi": "päättymätön lainausmerkki rivin {line} arvossa: arvo jatkuu riville {end} "
            "ja nielee välissä olevat rivit. Lisää puuttuva lainausmerkki (\") tai poista "
            "ylimääräinen",
            "sv": "citattecknet i värdet på rad {line} avslutas inte: värdet fortsätter till "
            "rad {end} och sväljer raderna däremellan. Lägg till det saknade citattecknet "
            "(\") eller ta bort det överflödiga",
            "en": "unterminated quote starting on line {line}: the value runs on to line {end} "
            "and takes in the rows between. Add the missing closing quote (\") or remove "
            "the stray one",
        },
        "unreadable_line": {
            "fi": "riviä {line} ei voi lukea CSV-muodossa ({error}). Tallenna tiedosto "
            "muodossa CSV UTF-8",
            "sv": "rad {line} kan inte läsas som CSV ({error}). Spara filen som CSV UTF-8",
            "en": "line {line} cannot be read as CSV ({error}). Save the file as CSV UTF-8",
        },
    }
    #: How an unknown column with a close known name is shown.
    suggestion = {
        "fi": "{name} (tarkoititko {known}?)",
        "sv": "{name} (menade du {known}?)",
        "en": "{name} (did you mean {known}?)",
    }

    def __init__(
        self,
        field: str = "csv",
        detail: str | None = None,
        *,
        problems: Sequence[tuple[str, Mapping[str, object]]] = (),
        **params: object,
    ) -> None:
        self.problems = tuple((key, dict(values)) for key, values in problems)
        if self.problems:
            params.setdefault("problem", ", ".join(key for key, _ in self.problems))
            if len(self.problems) == 1:
                params = {**self.problems[0][1], **params}
        super().__init__(field, detail, **params)
        if self.problems:  # for to_dict(): the reason in English
            self.params["reason"] = self._params_for("en")["reason"]

    def _params_for(self, lang: str) -> dict[str, object]:
        params = super()._params_for(lang)
        if self.problems:
            params["reason"] = "; ".join(
                localized(self.reasons[key], lang).format(**self._worded(values, lang))
                for key, values in self.problems
            )
        return params

    def _worded(self, values: Mapping[str, object], lang: str) -> dict[str, object]:
        worded = dict(values)
        if "unknown" in values:  # ((name, closest known name or ""), ...)
            unknown = values["unknown"]
            assert isinstance(unknown, tuple)
            worded["columns"] = ", ".join(
                localized(self.suggestion, lang).format(name=name, known=close)
                if close else name
                for name, close in unknown
            )
        return worded


def _format_error(*problems: tuple[str, Mapping[str, object]]) -> CSVFormatError:
    return CSVFormatError("csv", problems=problems)
