"""Colours out of a PNG screenshot (no imaging library needed), and WCAG contrast.

Chromium writes 8-bit RGB or RGBA, non-interlaced PNGs; this reads exactly
those (with all five row filters) and refuses anything else.
"""

from __future__ import annotations

import struct
import zlib
from collections import Counter

Colour = tuple[int, int, int]


def pixels(png: bytes) -> list[Colour]:
    """Every pixel of ``png`` as (r, g, b), row by row."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        kind, data = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = data
        elif kind == b"IDAT":
            idat += data
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unsupported PNG"
    channels = 3 if colour_type == 2 else 4
    stride = width * channels
    raw = zlib.decompress(idat)
    out: list[Colour] = []
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        out.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, channels))
        previous = line
    return out


def luminance(colour: Colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Colour, b: Colour) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def parse_css_colour(value: str) -> Colour:
    """``rgb(r, g, b)`` / ``rgba(...)`` as computed styles give it, or ``#rrggbb``."""
    if value.startswith("#"):
        return (int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16))
    parts = value[value.index("(") + 1:value.index(")")].replace(",", " ").split()
    return (int(float(parts[0])), int(float(parts[1])), int(float(parts[2])))


def text_contrast(png: bytes) -> tuple[float, Colour, Colour]:
    """Contrast between the commonest colour (the background) and the pixel
    furthest from it (the core of the text): what a reader sees."""
    found = pixels(png)
    background = Counter(found).most_common(1)[0][0]
    ink = max(set(found), key=lambda colour: contrast(colour, background))
    return contrast(ink, background), ink, background
