"""Password rules: the document's policy (default) and the NIST-style option."""

from __future__ import annotations

import pytest

from invitations.password import PasswordPolicy, check_password, fold


def codes(password: str, first: str = "Matti", last: str = "Virtanen",
          policy: PasswordPolicy | None = None) -> list[str]:
    return [v.code for v in check_password(password, first_name=first, last_name=last,
                                           policy=policy)]


def test_a_good_password_passes() -> None:
    assert codes("Kesakuu2026!") == []
    assert codes("Ab3!@#$%+/.") == []


def test_length_limits() -> None:
    assert codes("Abcdefgh1") == ["too_short"]  # 9
    assert codes("Abcdefgh12") == []  # 10
    assert codes("Ab1" + "x" * 125) == []  # 128
    assert codes("Ab1" + "x" * 126) == ["too_long"]  # 129


@pytest.mark.parametrize(
    ("password", "code"),
    [("abcdefgh12", "missing_upper"), ("ABCDEFGH12", "missing_lower"),
     ("Abcdefghij", "missing_digit")],
)
def test_composition(password: str, code: str) -> None:
    assert codes(password) == [code]


@pytest.mark.parametrize("bad", [" ", "-", "_", "ä", "Ö", "😀", "\t", "\x00", "&", "*"])
def test_only_the_listed_specials(bad: str) -> None:
    violations = check_password(f"Abcdefgh12{bad}", first_name="Matti", last_name="Virtanen")
    assert [v.code for v in violations] == ["invalid_characters"]
    for lang in ("fi", "sv", "en"):
        assert "! @ # $ % + / ." in violations[0].message(lang)
    if bad.isprintable():
        assert bad in violations[0].message("en")


def test_diacritics_folded_name_runs() -> None:
    violations = check_password("Xmakela1234", first_name="Anna", last_name="Mäkelä")
    assert [v.code for v in violations] == ["contains_name"]
    assert "mak, ake, kel, ela" in violations[0].message("en")
    for run in ("mak", "AKE", "Kel", "elA"):
        assert codes(f"Zz9{run}Qq9x", "Anna", "Mäkelä") == ["contains_name"], run
    assert codes("Zz9makQq9x", "Anna", "Makela") == ["contains_name"]  # folds both ways
    assert codes("Zz9MaQq9xk", "Anna", "Mäkelä") == []  # two letters are fine


def test_swedish_letters_and_hyphens() -> None:
    assert codes("Xastrom123", "Åsa", "Åström") == ["contains_name"]  # "str", "tro", "rom"...
    assert codes("Qsod12345X", "Sören", "Söderholm") == ["contains_name"]
    assert codes("Qasa12345X", "Åsa", "Berg") == ["contains_name"]
    # Anna-Liisa is "Anna" + "Liisa": "ali" (across the hyphen) is allowed, "iis" is not.
    assert codes("Xali12345Q", "Anna-Liisa", "Berg") == []
    assert codes("Xiis12345Q", "Anna-Liisa", "Berg") == ["contains_name"]
    assert codes("Xnei12345Q", "Pat", "O'Neil") == ["contains_name"]
    assert codes("Xone12345Q", "Pat", "O'Neil") == []  # "O'N..." is split at the apostrophe
    assert codes("Xvan12345Q", "Maria", "van der Berg") == ["contains_name"]


def test_short_name_parts_forbid_nothing() -> None:
    assert codes("Liek123456", "Li", "Ek") == []
    assert codes("Xabc12345Q", "", "") == []


def test_every_violation_at_once() -> None:
    found = codes("mäk ela", "Anna", "Mäkelä")
    assert found == ["too_short", "missing_upper", "missing_digit", "invalid_characters",
                     "contains_name"]
    messages = check_password("mäk ela", first_name="Anna", last_name="Mäkelä")
    for violation in messages:
        texts = {violation.message(lang) for lang in ("fi", "sv", "en")}
        assert len(texts) == 3 and all(texts)


def test_nist_policy() -> None:
    nist = PasswordPolicy.nist()
    assert codes("correct horse battery", policy=nist) == []  # spaces, no composition
    assert codes("lyhyt salasana", policy=nist) == ["too_short"]  # 14 < 15
    assert codes("Password2024!!!!", policy=nist) == ["common_password"]
    assert codes("virtanen on hyvä nimi", policy=nist) == ["contains_name_part"]
    assert codes("tab\there is bad!!", policy=nist) == ["control_characters"]
    assert codes("short", policy=PasswordPolicy.nist(min_length=4)) == []
    assert PasswordPolicy.named("nist") == nist
    with pytest.raises(ValueError, match="unknown password policy"):
        PasswordPolicy.named("weak")


def test_rules_are_spelled_out_per_language() -> None:
    rules = PasswordPolicy().rules("fi")
    assert len(rules) == 6 and any("! @ # $ % + / ." in r for r in rules)
    assert PasswordPolicy().rules("sv") != rules


def test_fold() -> None:
    assert fold("Mäkelä-Åström") == "makela-astrom"
