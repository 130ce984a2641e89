"""Issue 12, item 3: invisible and look-alike characters are refused, in fi, sv and en.

Format characters (``Cf``: bidirectional overrides, zero-width space...) and other
default-ignorable code points (U+3164 HANGUL FILLER...) show nothing or reorder what is
shown, so ``us\\u200ber`` looks like ``user``; a Cyrillic ``а`` in ``pаypal`` looks
Latin. Every text field refuses the first kind; a username is NFKC-normalised and must
follow Unicode TR 39's "highly restrictive" profile (one script, or Latin with
Han+Kana, Han+Bopomofo or Han+Hangul; digits of one system; visible ASCII besides
letters, marks and digits).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from invitations import validation
from invitations.errors import FieldError, RegistrationRejected
from invitations.models import Company, Inviter, Registration, Role
from invitations.registration import validate_registration
from invitations.service import InvitationService
from invitations.store import SQLiteInvitationStore
from tests.browser.scenario_support import Site

PASSWORD = "Vuori2026!Puro#"

INVISIBLE = {
    "fi": "Kentässä {label} on näkymätön tai tekstin suuntaa muuttava merkki ({character}). "
          "Kirjoita arvo uudelleen ilman sitä.",
    "sv": "Fältet {label} innehåller ett osynligt eller riktningsändrande tecken "
          "({character}). Skriv värdet på nytt utan det tecknet.",
    "en": "The {label} contains an invisible or direction-changing character ({character}). "
          "Type the value again without it.",
}
LABELS = {
    "username": {"fi": "käyttäjätunnus", "sv": "användarnamn", "en": "username"},
    "first_name": {"fi": "etunimi", "sv": "förnamn", "en": "first name"},
    "last_name": {"fi": "sukunimi", "sv": "efternamn", "en": "last name"},
}
MIXED_SCRIPTS = {
    "fi": "Käyttäjätunnuksessa on sekaisin eri kirjoitusjärjestelmien kirjaimia "
          "(esimerkiksi latinalaisia ja kyrillisiä), joten se voi näyttää toisen "
          "käyttäjätunnukselta. Käytä yhden kirjoitusjärjestelmän kirjaimia.",
    "sv": "Användarnamnet blandar bokstäver från olika skriftsystem (till exempel latinska "
          "och kyrilliska), så det kan se ut som någon annans användarnamn. Använd "
          "bokstäver från ett skriftsystem.",
    "en": "The username mixes letters of different scripts (for example Latin and "
          "Cyrillic), so it could look like someone else's username. Use the letters of "
          "one script.",
}
MIXED_DIGITS = {
    "fi": "Käyttäjätunnuksessa on sekaisin eri numerojärjestelmien numeroita. Käytä yhden "
          "järjestelmän numeroita, esimerkiksi 0–9.",
    "sv": "Användarnamnet blandar siffror från olika talsystem. Använd siffror från ett "
          "system, till exempel 0–9.",
    "en": "The username mixes digits of different number systems. Use the digits of one "
          "system, such as 0–9.",
}
CHARACTERS = {
    "fi": "Käyttäjätunnuksessa saa olla vain kirjaimia, numeroita ja tavallisen "
          "näppäimistön välimerkkejä; merkki {character} ei ole sallittu.",
    "sv": "Användarnamnet får bara innehålla bokstäver, siffror och skiljetecken från ett "
          "vanligt tangentbord; tecknet {character} är inte tillåtet.",
    "en": "The username may contain only letters, digits and the punctuation of a standard "
          "keyboard; {character} is not allowed.",
}


def _rejection(**fields: str) -> dict[str, FieldError]:
    values = {"first_name": "Matti", "last_name": "Virtanen", "email": "matti@example.fi",
              "username": "matti", "password": PASSWORD, **fields}
    with pytest.raises(RegistrationRejected) as caught:
        validate_registration(Registration(**values))
    return {error.field: error for error in caught.value.errors}


def _accepted(**fields: str) -> tuple[str, str, str, str]:
    values = {"first_name": "Matti", "last_name": "Virtanen", "email": "matti@example.fi",
              "username": "matti", "password": PASSWORD, **fields}
    details = validate_registration(Registration(**values))
    return details.first_name, details.last_name, details.email, details.username


@pytest.mark.parametrize(("field", "value", "character"), [
    ("username", "user\u202e1", "U+202E"),          # RIGHT-TO-LEFT OVERRIDE
    ("username", "us\u200ber", "U+200B"),           # ZERO WIDTH SPACE
    ("username", "matti\u2066x\u2069", "U+2066"),   # LEFT-TO-RIGHT ISOLATE
    ("username", "mat\u00adti", "U+00AD"),          # SOFT HYPHEN
    ("username", "matti\ufe0f", "U+FE0F"),          # VARIATION SELECTOR-16
    ("first_name", "\u3164\u3164\u3164", "U+3164"),  # HANGUL FILLER: a "letter" that shows nothing
    ("first_name", "\u202eittaM", "U+202E"),
    ("last_name", "Virta\u200dnen", "U+200D"),      # ZERO WIDTH JOINER
    ("last_name", "Virtanen\u202d", "U+202D"),      # LEFT-TO-RIGHT OVERRIDE
    ("last_name", "\uffa0", "U+FFA0"),              # HALFWIDTH HANGUL FILLER
])
def test_invisible_characters_are_refused_in_every_language(
    field: str, value: str, character: str
) -> None:
    error = _rejection(**{field: value})[field]
    assert error.code == "invisible_character"
    for lang, template in INVISIBLE.items():
        expected = template.format(label=LABELS[field][lang], character=character)
        assert error.message(lang) == expected


@pytest.mark.parametrize("field", ["first_name", "company_name", "invited_by", "email"])
def test_every_text_field_refuses_them(field: str) -> None:
    with pytest.raises(validation.InvisibleCharacter) as caught:
        validation.check_text(field, "Acme\u202e Oy", limit=100)
    assert caught.value.code == "invisible_character" and caught.value.field == field


def test_an_invitation_refuses_a_bidi_override_in_a_name(tmp_path: Path) -> None:
    store = SQLiteInvitationStore(tmp_path / "invitations.sqlite3")
    key = "lookalike-tests-secret-key-0123456789abcdef"
    try:
        with InvitationService([key], "http://127.0.0.1", "memory://", store=store) as service:
            with pytest.raises(validation.InvisibleCharacter) as caught:
                service.send_invite(
                    "matti@example.fi", company=Company("0112038-9", "Acme Oy", "LOG-1"),
                    invited_by=Inviter("boss@acme.fi", None, Role.MAIN_USER, "0112038-9"),
                    first_name="\u202eittaM")
            assert caught.value.field == "first_name"
            assert service.list() == []
    finally:
        store.close()


@pytest.mark.parametrize("username", [
    "p\u0430ypal",        # Cyrillic а among Latin letters
    "adm\u0456n",         # Cyrillic і
    "\u0440aul",          # Cyrillic р first
    "matti.\u03bfja",     # Greek omicron
    "s\u0441ott@example.fi",
])
def test_mixed_script_usernames_are_refused(username: str) -> None:
    error = _rejection(username=username)["username"]
    assert error.code == "username_mixed_scripts"
    for lang, expected in MIXED_SCRIPTS.items():
        assert error.message(lang) == expected


def test_mixed_digits_are_refused() -> None:
    error = _rejection(username="matti1\u0662")["username"]  # ARABIC-INDIC DIGIT TWO
    assert error.code in ("username_mixed_digits", "username_mixed_scripts")
    error = _rejection(username="\u0627\u0644\u06331\u0662")["username"]  # Arabic, 1 and ٢
    assert error.code == "username_mixed_digits"
    for lang, expected in MIXED_DIGITS.items():
        assert error.message(lang) == expected


@pytest.mark.parametrize(("username", "character"), [
    ("admin\u2215root", "\u2215 (U+2215)"),  # DIVISION SLASH, not "/"
    ("matti\u2764", "\u2764 (U+2764)"),
    ("matti\u0589x", "\u0589 (U+0589)"),      # ARMENIAN FULL STOP, looks like ":"
])
def test_look_alike_punctuation_is_refused(username: str, character: str) -> None:
    error = _rejection(username=username)["username"]
    assert error.code == "username_characters"
    for lang, template in CHARACTERS.items():
        assert error.message(lang) == template.format(character=character)


@pytest.mark.parametrize(("username", "stored"), [
    ("\uff55\uff53\uff45\uff52\uff11", "user1"),  # fullwidth: NFKC
    ("\ufb01nn", "finn"),                          # the "fi" ligature
    ("matti.virtanen@example.fi", "matti.virtanen@example.fi"),
    ("äijälä", "äijälä"),
    ("o'brien", "o'brien"),
    ("anna-liisa.öberg", "anna-liisa.öberg"),
    ("ström_1", "ström_1"),
    ("\u0438\u0432\u0430\u043d", "\u0438\u0432\u0430\u043d"),  # all Cyrillic: one script
    ("tanaka\u7530\u4e2d\u3072\u308d", "tanaka\u7530\u4e2d\u3072\u308d"),  # Latin+Han+Hiragana
    ("kim\uae40\u91d1", "kim\uae40\u91d1"),  # Latin+Hangul+Han
    ("a\u0308ij\u0308", "\u00e4ij\u0308"),   # combining marks fit any script (NFKC composes)
])
def test_ordinary_usernames_are_accepted_and_normalised(username: str, stored: str) -> None:
    assert _accepted(username=username)[3] == stored


@pytest.mark.parametrize(("first", "last"), [
    ("Anna-Liisa", "Äijälä"), ("Pär", "Öberg"), ("Åsa", "Ström"), ("Seán", "O'Brien"),
    ("Jörg", "D’Artagnan"),
])
def test_ordinary_finnish_and_swedish_names_are_accepted(first: str, last: str) -> None:
    assert _accepted(first_name=first, last_name=last)[:2] == (first, last)


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_registration_page_shows_the_refusal_beside_the_field(
    site: Site, lang: str
) -> None:
    import httpx

    invitation = site.invite()
    assert invitation.link is not None
    with httpx.Client(trust_env=False, timeout=10, follow_redirects=True) as client:
        form = client.get(invitation.link)
        csrf = form.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        data = {"csrf_token": csrf, "lang": lang, "first_name": "Matti",
                "last_name": "Virtanen", "email": invitation.email,
                "username": "us\u200ber", "password": PASSWORD}
        fields = form.text.split('name="invitation" value="', 1)
        if len(fields) == 2:
            data["invitation"] = fields[1].split('"', 1)[0]
        page = client.post(f"{site.web.url}/register", data=data)
    assert page.status_code == 422
    expected = INVISIBLE[lang].format(label=LABELS["username"][lang], character="U+200B")
    errors = page.text.split('data-testid="errors-username"', 1)[1].split("</ul>", 1)[0]
    assert expected.replace("'", "&#39;") in errors
    assert str(site.service.get(invitation.id).status) == "pending"
