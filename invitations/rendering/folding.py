"""RFC 2047 encoded words and folding for the headers we write ourselves.

Python's folder puts ASCII words inside long encoded words and, for display
names, reads adjacent encoded words back with a stray space. Here only the
non-ASCII words are encoded, runs of them share one encoded word, and lines
break between words at 78 characters.
"""

from __future__ import annotations

import base64

# RFC 2047 "Q" encoding in a phrase-safe form: these bytes stay literal.
_Q_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_EW_PREFIX, _EW_SUFFIX = "=?utf-8?q?", "?="
_EW_MAX = 75  # RFC 2047: an encoded word is at most 75 characters


def _q_char(char: str) -> str:
    if char == " ":
        return "_"
    return "".join(chr(b) if b in _Q_SAFE else f"={b:02X}" for b in char.encode("utf-8"))


def encoded_words(text: str) -> list[str]:
    """``text`` as one or more UTF-8 Q encoded words, never splitting a character."""
    words: list[str] = []
    current = ""
    room = _EW_MAX - len(_EW_PREFIX) - len(_EW_SUFFIX)
    for char in text:
        encoded = _q_char(char)
        if len(current) + len(encoded) > room:
            words.append(_EW_PREFIX + current + _EW_SUFFIX)
            current = ""
        current += encoded
    if current:
        words.append(_EW_PREFIX + current + _EW_SUFFIX)
    return words


def single_encoded_word(text: str) -> str | None:
    """``text`` as one encoded word (Q, else the denser B), or None if too long."""
    quoted = _EW_PREFIX + "".join(map(_q_char, text)) + _EW_SUFFIX
    if len(quoted) <= _EW_MAX:
        return quoted
    packed = "=?utf-8?b?" + base64.b64encode(text.encode("utf-8")).decode("ascii") + "?="
    return packed if len(packed) <= _EW_MAX else None


def word_tokens(text: str, *, phrase: bool = False) -> list[str] | None:
    """Split ``text`` at spaces; runs of non-ASCII words become encoded words.

    Consecutive non-ASCII words share one encoded word, because RFC 2047
    decoders drop the space between adjacent encoded words. In a phrase (a
    display name) a run must fit one encoded word — Python's own reader keeps
    that space there — so None is returned when it does not.
    """
    tokens: list[str] = []
    run: list[str] = []

    def flush() -> bool:
        if run:
            if phrase:
                word = single_encoded_word(" ".join(run))
                if word is None:
                    return False
                tokens.append(word)
            else:
                tokens.extend(encoded_words(" ".join(run)))
            run.clear()
        return True

    for word in text.split():
        if word.isascii() and "=?" not in word:
            if not flush():
                return None
            tokens.append(word)
        else:
            run.append(word)
    return tokens if flush() else None


def fold_tokens(name: str, tokens: list[str], linesep: str = "\r\n", width: int = 78) -> str:
    """``name: token token ...`` folded before a token that would pass ``width``."""
    lines: list[str] = []
    line = f"{name}:"
    for token in tokens:
        if len(line) + 1 + len(token) > width and line != f"{name}:":
            lines.append(line)
            line = ""
        line += " " + token
    lines.append(line)
    return linesep.join(lines) + linesep


def fold_words(name: str, value: str, linesep: str = "\r\n", width: int = 78) -> str:
    """Fold an unstructured header encoding only its non-ASCII words."""
    return fold_tokens(name, word_tokens(value) or [], linesep, width)
