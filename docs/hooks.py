"""MkDocs hook: publish devsmtp's OpenAPI schema with the site.

``devsmtp/api/openapi.json`` is the one source; it is added to the site's files at
build time as ``qa/openapi.json`` (no copy is kept under ``docs/``), so pages
can link to it and ``mkdocs build --strict`` checks the link.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.structure.files import File

SCHEMA = Path(__file__).resolve().parents[1] / "devsmtp" / "api" / "openapi.json"


def on_files(files, config):  # type: ignore[no-untyped-def]
    files.append(File.generated(config, "qa/openapi.json", abs_src_path=str(SCHEMA)))
    return files
