"""Broken CSV files: every problem is named with its real line and what to do,
in fi/sv/en, and nothing of a broken file is ever queued."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from invitations.cli import main
from invitations.delivery.bulk import CSVFormatError, RowProblem, send_csv, validate_csv
from invitations.service import InvitationService
from tests.delivery.conftest import ServiceFactory

HEADER = "email,company_id,company_name,invited_by,contract_number"


def row(n: int, company: str = "Acme") -> str:
    return f"user{n}@acme.fi,0112038-9,{company},pirkko@acme.fi,LOG-1"


def write(tmp_path: Path, text: str | bytes, name: str = "in.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8", newline="")
    else:
        path.write_bytes(text)
    return path


def lines(*rows: str, header: str = HEADER) -> str:
    return "".join(f"{line}\n" for line in (header, *rows))


def refused(path: Path) -> CSVFormatError:
    """The file is refused as a whole, by checking and by sending alike."""
    with pytest.raises(CSVFormatError) as caught:
        validate_csv(path)
    return caught.value


def nothing_queued(path: Path, service: InvitationService, *, skip_invalid: bool) -> None:
    with pytest.raises(CSVFormatError):
        send_csv(path, service=service, transport=None, skip_invalid=skip_invalid)
    assert service.list() == []


def check_cli(path: Path, lang: str = "fi") -> tuple[int, str]:
    result = CliRunner().invoke(main, ["send-bulk", "--csv", str(path), "--check",
                                       "--lang", lang])
    return result.exit_code, result.stderr


# -- 1. a row with more or fewer fields than the header ----------------------


def test_a_row_of_the_wrong_length_is_refused_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, lines(
        row(1),                                                     # line 2: good
        "shift@acme.fi,0112038-9,Acme, Oy,pirkko@acme.fi,LOG-1",    # line 3: 6 fields
        "short@acme.fi,0112038-9,Acme,pirkko@acme.fi",              # line 4: 4 fields
        row(5),                                                     # line 5: good
    ))
    problems: list[RowProblem] = []
    report = validate_csv(path, problems.append)
    assert (report.rows, report.invalid) == (4, 2)
    assert [(p.line, [e.code for e in p.errors]) for p in problems] == [
        (3, ["field_count"]), (4, ["field_count"])
    ]
    more, fewer = problems
    assert more.message("en") == (
        "The row has 6 fields but the header has 5; quote a value that contains the "
        'separator (e.g. a comma): "Acme, Oy".'
    )
    assert more.message("fi") == (
        "Rivillä on 6 kenttää, mutta otsikkorivillä on 5 saraketta. Jos arvossa on "
        'erotinmerkki (esim. pilkku), laita arvo lainausmerkkeihin: "Acme, Oy".'
    )
    assert more.message("sv").startswith("Raden har 6 fält men rubrikraden har 5 kolumner.")
    assert fewer.message("en") == (
        "The row has 4 fields but the header has 5; give every column a value or an empty "
        "field (keep the separators)."
    )
    assert fewer.message("fi").startswith("Rivillä on 4 kenttää, mutta otsikkorivillä on 5")


def test_a_shifted_row_is_never_sent(tmp_path: Path, service_factory: ServiceFactory) -> None:
    service = service_factory(None)
    path = write(tmp_path, lines(
        row(1), "shift@acme.fi,0112038-9,Acme, Oy,pirkko@acme.fi,LOG-1"
    ))
    report = send_csv(path, service=service, transport=None)
    assert (report.rows, report.invalid, report.unsent) == (2, 1, 0)
    assert service.list() == []
    # Sending the good rows only: the shifted one (invited_by " Oy") is not among them.
    report = send_csv(path, service=service, transport=None, skip_invalid=True)
    assert (report.invalid, report.unsent) == (1, 1)
    assert [i.email for i in service.list()] == ["user1@acme.fi"]


def test_quoted_separators_and_trailing_line_ends_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path, lines(
        row(1, '"Acme, Oy"'), row(2, "Acme Oy"), "", ",,,,", header=HEADER
    ).replace("\n", "\r\n"))
    assert (validate_csv(path).rows, validate_csv(path).invalid) == (2, 0)


# -- 2. and 3. the header row --------------------------------------------------


def test_a_duplicate_column_is_refused(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    path = write(tmp_path, lines(f"a@acme.fi,{row(1)}", header=f"email,{HEADER}"))
    error = refused(path)
    assert error.message("en") == (
        "The CSV file cannot be used: the column email appears twice in the header row "
        "(columns 1 and 2). Delete or rename one of them."
    )
    assert "sarake email on otsikkorivillä kahdesti (sarakkeet 1 ja 2)" in error.message("fi")
    assert "kolumnen email finns två gånger" in error.message("sv")
    nothing_queued(path, service_factory(None), skip_invalid=True)
    # The same column under two spellings is the same column.
    spelled = write(tmp_path, lines(f"{row(1)},A,B", header=f"{HEADER},First Name,first-name"))
    assert "the column first_name appears twice" in refused(spelled).message("en")
    assert "(columns 6 and 7)" in refused(spelled).message("en")


def test_unknown_columns_are_named_with_a_suggestion(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    header = f"{HEADER},frist_name,langauges,rol,shoe_size"
    path = write(tmp_path, lines(f"{row(1)},Anna,fi,main_user,42", header=header))
    error = refused(path)
    assert error.code == "csv_format"
    assert error.message("en").startswith(
        "The CSV file cannot be used: unknown column(s) frist_name (did you mean "
        "first_name?), langauges (did you mean languages?), rol (did you mean role?), "
        "shoe_size. Correct the column name; the known columns are email, company_id,"
    )
    assert ("tuntematon sarake frist_name (tarkoititko first_name?), langauges (tarkoititko "
            "languages?), rol (tarkoititko role?), shoe_size.") in error.message("fi")
    assert "rol (menade du role?)" in error.message("sv")
    # The main_user row would otherwise go out as a plain user invitation.
    nothing_queued(path, service_factory(None), skip_invalid=True)


def test_every_header_problem_is_named_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, lines(row(1), header="mail,company_id,company_name,invited_by,"))
    message = refused(path).message("en")
    assert message == (
        "The CSV file cannot be used: the header row (line 1) lacks the column(s) email. The "
        "first line names the columns; required are email, company_id, company_name, "
        "invited_by; unknown column(s) mail (did you mean email?). Correct the column name; "
        "the known columns are email, company_id, company_name, invited_by, first_name, "
        "last_name, languages, role, contract_number, inviter_name, inviter_role, services; "
        "column 5 of the header row has no name. Name it or delete the column."
    )


# -- 4. bytes that are not UTF-8: the real line --------------------------------


@pytest.mark.parametrize("bad_line", [2, 160, 202, 1002])
def test_a_bad_byte_is_reported_on_its_own_line(tmp_path: Path, bad_line: int) -> None:
    rows = [row(n).encode() for n in range(2, 1201)]
    rows[bad_line - 2] = "hä@acme.fi,0112038-9,Acme,p@acme.fi,LOG-1".encode("latin-1")
    path = write(tmp_path, b"\n".join([HEADER.encode(), *rows, b""]))
    error = refused(path)
    assert error.message("en") == (
        f"The CSV file cannot be used: line {bad_line} has a byte (0xe4) that is not UTF-8 "
        "text. Save the file as CSV UTF-8."
    )
    assert f"rivillä {bad_line} on tavu 0xe4, joka ei ole UTF-8-tekstiä" in error.message("fi")
    assert f"rad {bad_line} har byten 0xe4" in error.message("sv")


def test_line_numbers_count_quoted_line_breaks_bom_and_crlf(tmp_path: Path) -> None:
    text = lines(
        row(1),                                              # line 2
        'a@acme.fi,0112038-9,"Two\nlines",p@acme.fi,LOG-1',  # lines 3-4
        row(5),                                              # line 5
    ).replace("\n", "\r\n")
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode() + "ö@acme.fi,".encode("cp1252"))
    assert "line 6 has a byte (0xf6)" in refused(path).message("en")
    good = write(tmp_path, b"\xef\xbb\xbf" + text.encode(), "good.csv")
    problems: list[RowProblem] = []
    validate_csv(good, problems.append)
    assert [(p.line, p.errors[0].code) for p in problems] == [(3, "header_injection")]


def test_a_bad_byte_in_the_header_is_on_line_1(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.encode() + b",p\xe4iv\xe4\n" + row(1).encode() + b",x\n")
    assert "line 1 has a byte (0xe4)" in refused(path).message("en")


# -- 5. unterminated quotes, empty files, files without rows --------------------


def test_an_unterminated_quote_is_named_where_it_starts(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    path = write(tmp_path, lines(
        row(1),
        'b@acme.fi,0112038-9,"Acme Oy,pirkko@acme.fi,LOG-1',  # line 3: never closed
        row(4), row(5),
    ))
    error = refused(path)
    assert error.message("en") == (
        "The CSV file cannot be used: unterminated quote starting on line 3: the value runs "
        'to the end of the file. Add the missing closing quote (") or remove the stray one.'
    )
    assert "päättymätön lainausmerkki rivin 3 arvossa" in error.message("fi")
    assert "citattecknet i värdet på rad 3 avslutas aldrig" in error.message("sv")
    nothing_queued(path, service_factory(None), skip_invalid=True)


def test_an_unterminated_quote_after_a_line_break_in_a_value(tmp_path: Path) -> None:
    path = write(tmp_path, lines(
        'a@acme.fi,0112038-9,"Two\nlines",pirkko@acme.fi,"LOG-1',  # lines 2-3, then 3 on
        row(4),
    ))
    assert "unterminated quote starting on line 3:" in refused(path).message("en")
    at_end = write(tmp_path, f'{HEADER}\n{row(1)}\n{row(2)},"', "end.csv")
    assert "unterminated quote starting on line 3:" in refused(at_end).message("en")


def test_a_quote_closed_rows_later_is_refused(
    tmp_path: Path, service_factory: ServiceFactory
) -> None:
    path = write(tmp_path, lines(
        row(1),
        'b@acme.fi,0112038-9,"Acme Oy,pirkko@acme.fi,LOG-1',       # line 3: opened...
        row(4),
        'e@acme.fi,0112038-9,Acme,pirkko@acme.fi,"LOG-1"',          # line 5: ...closed
        row(6),
    ))
    message = refused(path).message("en")
    assert message.startswith(
        "The CSV file cannot be used: unterminated quote starting on line 3: the value runs "
        "on to line 5 and takes in the rows between."
    )
    nothing_queued(path, service_factory(None), skip_invalid=True)
    # The swallowed text need not hold a separator: the record is too long anyway.
    tail = write(tmp_path, lines(
        'b@acme.fi,0112038-9,Acme,pirkko@acme.fi,"LOG-1', '2",c@acme.fi,0112038-9'
    ), "tail.csv")
    assert "unterminated quote starting on line 2: the value runs on to line 3" in (
        refused(tail).message("en")
    )


def test_a_runaway_quote_in_a_big_file_is_found_cheaply(tmp_path: Path) -> None:
    rows = [row(n) for n in range(3, 6000)]
    path = write(tmp_path, lines(row(1), 'b@acme.fi,0112038-9,"Acme,p@acme.fi,LOG-1', *rows))
    message = refused(path).message("en")
    assert message.startswith("The CSV file cannot be used: unterminated quote starting on "
                              "line 3: the value runs on to line ")


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff", "  \r\n\t\r\n"])
def test_an_empty_file_says_so(tmp_path: Path, text: str) -> None:
    error = refused(write(tmp_path, text))
    assert error.message("en").startswith("The CSV file cannot be used: the file is empty.")
    assert "tiedosto on tyhjä" in error.message("fi")
    assert "filen är tom" in error.message("sv")


@pytest.mark.parametrize("text", [HEADER, f"{HEADER}\n", f"{HEADER}\n\n,,,,\n"])
def test_a_header_without_rows_says_so(
    tmp_path: Path, service_factory: ServiceFactory, text: str
) -> None:
    path = write(tmp_path, text)
    assert refused(path).message("en") == (
        "The CSV file cannot be used: the file has a header row but no rows. Add one row "
        "for each person to invite."
    )
    nothing_queued(path, service_factory(None), skip_invalid=False)


def test_blank_lines_before_the_header_keep_the_line_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\n" + lines(row(1), "x,0112038-9,Acme,pirkko@acme.fi,LOG-1"))
    problems: list[RowProblem] = []
    assert validate_csv(path, problems.append).invalid == 1
    assert [p.line for p in problems] == [5]


# -- the command line ------------------------------------------------------------


def test_cli_reports_each_case_in_the_chosen_language(tmp_path: Path) -> None:
    shifted = write(tmp_path, lines("a@acme.fi,0112038-9,Acme, Oy,p@acme.fi,LOG-1"), "1.csv")
    code, err = check_cli(shifted)
    assert code == 1
    assert "rivi 2: Rivillä on 6 kenttää, mutta otsikkorivillä on 5 saraketta." in err
    typo = write(tmp_path, lines(f"{row(1)},main_user", header=f"{HEADER},rol"), "3.csv")
    code, err = check_cli(typo)
    assert code == 1
    assert "virhe [csv_format]: CSV-tiedostoa ei voi käyttää: tuntematon sarake rol " \
           "(tarkoititko role?)." in err
    empty = write(tmp_path, "", "5.csv")
    assert check_cli(empty, "sv") == (
        1, "fel [csv_format]: CSV-filen kan inte användas: filen är tom. Den första raden "
        "ska ha kolumnernas namn (email, company_id, company_name, invited_by), sedan en rad "
        "per person som ska bjudas in.\n"
    )


def test_cli_json_keeps_the_rows_found_before_the_file_failed(tmp_path: Path) -> None:
    path = write(tmp_path, lines("x,0112038-9,Acme,p@acme.fi,LOG-1", '"open'))
    result = CliRunner().invoke(main, ["send-bulk", "--csv", str(path), "--check", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["ok"], data["code"]) == (False, "csv_format")
    assert "unterminated quote starting on line 3" in data["message"]["en"]
    assert [p["line"] for p in data["problems"]] == [2]
