"""The recipes under ``examples/`` are not installed packages: their folders go on
``sys.path`` here, so that ``import fastapi_portal`` and ``import django_portal`` find
them as a reader who copies the folder would."""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

for recipe in ("fastapi", "django"):
    folder = str(EXAMPLES / recipe)
    if folder not in sys.path:
        sys.path.insert(0, folder)
