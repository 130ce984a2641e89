"""The MIME tree of one message: parsed once with ``compat32``, read without raising.

``compat32`` is used because it is several times faster than the modern
policy; headers are decoded here (RFC 2047 words and raw UTF-8 alike), so
callers never meet a ``Header`` object. The arrival summary, the API, the
web inbox and the pytest plugin all read mail through these functions.
"""

from __future__ import annotations

import re
from email import message_from_bytes
from email.errors import MessageDefect
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from urllib.parse import quote

__all__ = [
    "bodies",
    "body_text",
    "content_disposition",
    "decode_header_value",
    "is_attachment",
    "leaf_parts",
    "parse_bytes",
    "part_content",
    "part_payload",
    "raw_headers",
]

_FOLD = re.compile(r"\r?\n[ \t]+")
_ENCODED_WORD = re.compile(r"=\?[^?\s]+\?[qQbB]\?[^?\s]*\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
#: Raw 8-bit bytes ``compat32`` keeps as lone surrogates.
SURROGATE = re.compile("[\udc80-\udcff]")


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


def content_disposition(filename: str, kind: str = "attachment") -> str:
    """One ``Content-Disposition`` for every download (RFC 6266).

    Control characters (CR/LF above all) are dropped; an ASCII fallback in
    ``filename="..."`` (quotes and backslashes replaced) precedes the exact name as
    ``filename*=UTF-8''...`` (percent-encoded, RFC 5987).
    """
    name = _UNSAFE_NAME.sub("", SURROGATE.sub("\ufffd", filename)).strip() or "download"
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in name)
    encoded = quote(name.encode("utf-8"), safe="!#$&+-.^_`|~")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def _unescape(value: str) -> str:
    # compat32 keeps raw 8-bit header bytes as surrogates; SMTPUTF8 mail is UTF-8.
    if SURROGATE.search(value):
        return value.encode("ascii", "surrogateescape").decode("utf-8", "replace")
    return value


def _decode_words(text: str) -> str:
    try:
        return str(make_header(decode_header(text)))
    except (LookupError, UnicodeError, ValueError, AssertionError):
        return text


def decode_header_value(value: object) -> str:
    """Decode RFC 2047 words and raw UTF-8 in a header value; unfold it."""
    text = _FOLD.sub(" ", _unescape(str(value)))
    if "=?" not in text:
        return text
    if text.isascii():
        return _decode_words(text)
    # Raw UTF-8 mixed with encoded words: decode each word on its own.
    text = _BETWEEN_WORDS.sub(r"\1\2", text)
    return _ENCODED_WORD.sub(lambda m: _decode_words(m.group(0)), text)


#: A header line the feed parser takes as is (no ``From `` line, no empty name).
_PLAIN_HEADER = re.compile(rb"(?!From )[\041-\071\073-\176]+:|[\t ]")
#: Characters ``str.splitlines`` (which the feed parser uses) also breaks lines at.
_ODD_BREAK = re.compile(rb"[\r\n\x0b\x0c\x1c-\x1e]")


def parse_bytes(raw: bytes) -> Message:
    """The ``compat32`` message tree of ``raw``.

    A single-part message with plain CRLF headers gets the same tree without
    the feed parser (about a third of its cost): the headers are split here
    exactly as ``compat32`` would, and the body, which the parser would join
    back unchanged, becomes the payload. Anything unusual takes the full parse.
    """
    end = raw.find(b"\r\n\r\n")
    lines = raw[:end].split(b"\r\n") if end > 0 else ()
    if lines and lines[0][:1] not in (b" ", b"\t") and all(
        _PLAIN_HEADER.match(line) and not _ODD_BREAK.search(line) for line in lines
    ):
        msg = Message()
        fields: list[list[str]] = []
        for line in raw[:end].decode("ascii", "surrogateescape").split("\r\n"):
            if line[0] in " \t":
                fields[-1].append(line)
            else:
                fields.append([line])
        for field_lines in fields:
            name, value = field_lines[0].split(":", 1)
            # compat32's header_source_parse: strip the first line's leading
            # blanks, keep the folds, drop the final line end.
            value = "\r\n".join([value.lstrip(" \t"), *field_lines[1:]]).rstrip("\r\n")
            msg.set_raw(name, value)
        if msg.get_content_maintype() not in ("multipart", "message"):
            msg.set_payload(raw[end + 4 :].decode("ascii", "surrogateescape"))
            return msg
    try:
        tree = message_from_bytes(raw, policy=compat32)
    except RecursionError:
        return _shown_raw(raw)
    return _shown_raw(raw) if _too_deep(tree) else tree


#: Deeper MIME nesting than this is shown as the raw message (real mail nests < 10).
MAX_DEPTH = 64


class MultipartTooDeep(MessageDefect):
    """The MIME structure nests deeper than :data:`MAX_DEPTH` (or broke the parser)."""


def _too_deep(tree: Message) -> bool:
    stack = [(tree, 0)]
    while stack:
        part, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
    return False


def _shown_raw(raw: bytes) -> Message:
    """The headers of ``raw`` with its whole body as one text/plain part, marked defective."""
    msg = HeaderParser(policy=compat32).parsestr(raw.decode("ascii", "surrogateescape"),
                                                  headersonly=True)
    body = msg.get_payload()
    del msg["Content-Type"], msg["Content-Transfer-Encoding"]
    msg["Content-Type"] = "text/plain; charset=utf-8"
    msg.set_payload(body if isinstance(body, str) else "")
    msg.defects.append(MultipartTooDeep())
    return msg


def leaf_parts(msg: Message) -> list[Message]:
    """Every non-multipart part in walk order; ``/parts/{n}`` indexes this list."""
    return [p for p in msg.walk() if not p.is_multipart()]


def part_payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def body_text(part: Message, charset: str | None = None, data: bytes | None = None) -> str:
    """A text part's payload decoded with its charset (UTF-8 when unknown)."""
    data = part_payload(part) if data is None else data
    charset = charset or part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, "replace")
    except LookupError:
        return data.decode("utf-8", "replace")


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every ``name`` header as received (8-bit bytes as surrogates), unlike ``get``,
    which in ``compat32`` turns raw UTF-8 into a lossy ``Header`` object."""
    wanted = name.lower()
    return [str(v) for k, v in msg.raw_items() if k.lower() == wanted]


def is_attachment(part: Message) -> bool:
    """Whether ``part`` is meant to be saved (disposition ``attachment`` or a file name)."""
    disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    return disposition == "attachment" or bool(part.get_filename())


def bodies(msg: Message) -> tuple[str | None, str | None]:
    """The first inline text/plain and text/html bodies, decoded."""
    text = html = None
    for part in leaf_parts(msg):
        ctype = part.get_content_type()
        if ctype not in ("text/plain", "text/html") or is_attachment(part):
            continue
        if ctype == "text/plain" and text is None:
            text = body_text(part)
        elif ctype == "text/html" and html is None:
            html = body_text(part)
    return text, html


def part_content(part: Message) -> tuple[str, bytes, str | None]:
    """``(content type with charset for text, decoded bytes, decoded file name)``."""
    ctype = part.get_content_type()
    charset = part.get_content_charset()
    if charset and part.get_content_maintype() == "text":
        ctype = f"{ctype}; charset={charset}"
    filename = part.get_filename()
    return ctype, part_payload(part), decode_header_value(filename) if filename else None
