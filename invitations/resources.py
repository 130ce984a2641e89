"""Where templates and catalogs live, installed or in a source checkout.

In a wheel, ``templates/`` and ``locales/`` are packaged inside ``invitations/``
(see ``[tool.hatch.build.targets.wheel.force-include]``); in a checkout or an
editable install they sit at the repository root, beside the package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from invitations.errors import ConfigurationError

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def resource_dir(name: str) -> Path:
    """Return the directory ``name`` (``"templates"`` or ``"locales"``)."""
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise ConfigurationError(
        f"the {name!r} directory is missing: looked in {_PACKAGE_DIR / name} and "
        f"{_PACKAGE_DIR.parent / name}; reinstall the package"
    )


def templates_dir() -> Path:
    return resource_dir("templates")


def locales_dir() -> Path:
    return resource_dir("locales")
