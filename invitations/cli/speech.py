"""The command line in the reader's language: its own lines and Click's.

The CLI's own lines are :class:`~invitations.i18n.texts.Text` of the ``errors``
catalog. Click words its usage errors ("Missing option", "No such command")
with the standard library's ``gettext``, bound as ``_`` and ``ngettext`` in
each of its modules: while a command runs, :func:`click_language` points those
names at the ``errors`` catalog. Click's msgids use ``str.format`` fields
(``{name!r}``); the catalog keeps the one placeholder style of every domain,
``%(name)s``, so :data:`CLICK_TEXTS` maps Click's msgid to ours and the
translation gets Click's fields back before Click formats it.
"""

from __future__ import annotations

import re
import string
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import click

from invitations.i18n.languages import LANGUAGES
from invitations.i18n.texts import T_, translate

__all__ = ["CLICK_TEXTS", "LocalizedGroup", "click_language", "requested_language"]

#: Click's own msgids (``click/*.py``) and ours for the same text.
CLICK_TEXTS: dict[str, str] = {
    "Error: {message}": T_("Error: %(message)s"),
    "Try '{command} {option}' for help.": T_("Try '%(command)s %(option)s' for help."),
    "Usage:": T_("Usage:"),
    "Invalid value: {message}": T_("Invalid value: %(message)s"),
    "Invalid value for {param_hint}: {message}":
        T_("Invalid value for %(param_hint)s: %(message)s"),
    "Missing argument": T_("Missing argument"),
    "Missing option": T_("Missing option"),
    "Missing parameter": T_("Missing parameter"),
    "Missing {param_type}": T_("Missing %(param_type)s"),
    "Missing parameter: {param_name}": T_("Missing parameter: %(param_name)s"),
    "No such option {name!r}.": T_("No such option %(name)s."),
    "No such command {name!r}.": T_("No such command %(name)s."),
    "Did you mean {possibility}?": T_("Did you mean %(possibility)s?"),
    "Option {name!r} requires an argument.": T_("Option %(name)s requires an argument."),
    "Option {name!r} requires {nargs} arguments.":
        T_("Option %(name)s requires %(nargs)s arguments."),
    "Got unexpected extra argument ({args})": T_("Got unexpected extra argument (%(args)s)"),
    "Got unexpected extra arguments ({args})": T_("Got unexpected extra arguments (%(args)s)"),
    "{value!r} is not {choice}.": T_("%(value)s is not %(choice)s."),
    "{value!r} is not one of {choices}.": T_("%(value)s is not one of %(choices)s."),
    "{value!r} is not a valid {number_type}.": T_("%(value)s is not a valid %(number_type)s."),
    "{value} is not in the range {range}.": T_("%(value)s is not in the range %(range)s."),
    "{name} {filename!r} does not exist.": T_("%(name)s %(filename)s does not exist."),
    "Could not open file {filename!r}: {message}":
        T_("Could not open file %(filename)s: %(message)s"),
}

_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _with_click_fields(text: str, original: str) -> str:
    """Our translation with Click's ``{name!r}`` fields where ours has ``%(name)s``."""
    fields = {name: "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "")
              + "}"
              for _, name, spec, conv in string.Formatter().parse(original) if name}
    escaped = text.replace("{", "{{").replace("}", "}}")
    return _PLACEHOLDER.sub(lambda m: fields.get(m[1], m[0]) if m[1] else "%", escaped)


def _translator(lang: str) -> tuple[Callable[[str], str], Callable[[str, str, int], str]]:
    def gettext(message: str) -> str:
        msgid = CLICK_TEXTS.get(message)
        return message if msgid is None else _with_click_fields(translate(msgid, lang), message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return gettext(singular if n == 1 else plural)  # fi, sv and en: one form for 1

    return gettext, ngettext


def _click_modules() -> Iterator[ModuleType]:
    for name, module in list(sys.modules.items()):
        if (name == "click" or name.startswith("click.")) and hasattr(module, "_"):
            yield module


@contextmanager
def click_language(lang: str) -> Iterator[None]:
    """Click's messages in ``lang`` inside the block (English needs nothing)."""
    if lang == "en" or lang not in LANGUAGES:
        yield
        return
    gettext, ngettext = _translator(lang)
    saved: list[tuple[ModuleType, str, Any]] = []
    for module in _click_modules():
        for name, function in (("_", gettext), ("ngettext", ngettext)):
            if hasattr(module, name):
                saved.append((module, name, getattr(module, name)))
                setattr(module, name, function)
    try:
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)


def requested_language(args: Sequence[str]) -> str:
    """The language a command line asks for: ``--lang`` anywhere, else the environment."""
    from invitations.cli.output import language

    for index, arg in enumerate(args):
        if arg == "--":
            break
        value = None
        if arg == "--lang" and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in LANGUAGES:
            return value
    return language(None)


class LocalizedGroup(click.Group):
    """A group whose usage errors and help frame speak the requested language."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **options: Any) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        with click_language(requested_language(argv)):
            return super().main(argv, *rest, **options)
