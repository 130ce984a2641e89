"""devsmtp's fast MAIL/RCPT address parsing gives exactly aiosmtpd's answers."""

from __future__ import annotations

import random

import pytest
from aiosmtpd.smtp import SMTP

from devsmtp.smtp.protocol import PLAIN_ADDRESS, CaptureSMTP

ATOM_CHARS = "abcXYZ019!#$%&'*+/=?^_`{|}~-"
ODD_CHARS = " \t.()\"[]\\,;:<>@é"
TAIL_PIECES = ["SIZE=1234", "BODY=8BITMIME", "SMTPUTF8", " ", "  ", "\t", "(c)", '"', "=", "é"]


def parsers(limit: int) -> tuple[SMTP, CaptureSMTP]:
    stock, ours = SMTP.__new__(SMTP), CaptureSMTP.__new__(CaptureSMTP)
    stock.local_part_limit = ours.local_part_limit = limit
    return stock, ours


def answer(parser: SMTP, arg: str) -> object:
    try:
        return parser._getaddr(arg)
    except Exception as error:  # the same failure counts as the same answer
        return type(error)


def near_plain(rng: random.Random) -> str:
    """Mostly plain addresses, with odd characters, dots and tails mixed in."""

    def word() -> str:
        chars = [rng.choice(ATOM_CHARS) for _ in range(rng.randint(0, 6))]
        for _ in range(rng.choice((0, 0, 0, 1, 2))):
            chars.insert(rng.randint(0, len(chars)), rng.choice(ODD_CHARS + ".."))
        return "".join(chars)

    arg = rng.choice(("", "", " ", "\t")) + "<" + word() + "@" + word() + ">"
    if rng.random() < 0.1:
        arg = arg[:-1]
    pieces = rng.randint(0, 3)
    return arg + "".join(rng.choice(TAIL_PIECES) for _ in range(pieces))


@pytest.mark.parametrize("limit", [0, 4])
def test_fast_path_agrees_with_aiosmtpd(limit: int) -> None:
    stock, ours = parsers(limit)
    rng = random.Random(limit)
    fast = 0
    for _ in range(40_000):
        arg = near_plain(rng)
        fast += PLAIN_ADDRESS.fullmatch(arg) is not None
        assert answer(ours, arg) == answer(stock, arg), arg
    assert fast > 2_000  # the fast path itself was exercised, not only the fallback


@pytest.mark.parametrize(
    "arg",
    ["<a@b.c>", " <a@b.c>  SIZE=12 BODY=8BITMIME", "<a@b.c>SIZE=1", "<a..b@c>", "<>", "<a@b..c>",
     '<"q x"@b>', "<a@[127.0.0.1]>", "<a@b.c> (comment) X=1", "a@b.c SIZE=1", "<a@ b.c>",
     "<ä@b.c>", "<a@b.c> SIZE=1 "],
)
def test_known_shapes(arg: str) -> None:
    stock, ours = parsers(0)
    assert answer(ours, arg) == answer(stock, arg)
