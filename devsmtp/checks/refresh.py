"""Refresh the vendored caniemail snapshot from the npm package.

    cd /tmp && npm pack caniemail
    python -m devsmtp.checks.refresh /tmp/caniemail-X.Y.Z.tgz

(``make caniemail-data`` does both.) Writes ``devsmtp/checks/data/caniemail.json``
(only what :mod:`devsmtp.checks.compat` reads: per feature its title and
category and, per client family, the support of each platform's latest tested
version; a feature's URL is ``https://www.caniemail.com/features/<slug>/``)
and ``CANIEMAIL-LICENSE``. Reads a ``.tgz``, the package directory or
the package's ``data/caniemail.json``.
"""

from __future__ import annotations

import json
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["CLIENTS", "DATA_DIR", "compact", "main"]

DATA_DIR = Path(__file__).resolve().parent / "data"

#: The client families devsmtp scores, each as caniemail ``(family, platform)`` pairs.
CLIENTS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "outlook-windows": ("Outlook Windows", (("outlook", "windows"),)),
    "outlook-com": ("Outlook.com", (("outlook", "outlook-com"),)),
    "gmail": ("Gmail", (("gmail", "desktop-webmail"), ("gmail", "ios"), ("gmail", "android"),
                        ("gmail", "mobile-webmail"))),
    "apple-mail": ("Apple Mail", (("apple-mail", "macos"), ("apple-mail", "ios"))),
    "yahoo": ("Yahoo! Mail", (("yahoo", "desktop-webmail"), ("yahoo", "ios"),
                              ("yahoo", "android"))),
    "samsung-email": ("Samsung Email", (("samsung-email", "android"),)),
}


def _latest(versions: dict[str, str]) -> str:
    """The support letter of the last tested version (the data lists them in test order)."""
    if not versions:
        return "-"
    letter = list(versions.values())[-1].strip()[:1].lower()
    return letter if letter in "yan" and letter else "-"


def compact(data: dict[str, Any], version: str, today: str) -> dict[str, Any]:
    """The snapshot devsmtp ships, from caniemail's full ``caniemail.json``."""
    features: dict[str, Any] = {}
    for item in data["data"]:
        stats = item.get("stats") or {}
        support = {
            client: "".join(_latest((stats.get(family) or {}).get(platform) or {})
                            for family, platform in pairs)
            for client, (_name, pairs) in CLIENTS.items()
        }
        features[item["slug"]] = {
            "title": item["title"],
            "category": item.get("category") or "",
            "support": support,
        }
    return {
        "source": {
            "package": "caniemail",
            "version": version,
            "api_version": data.get("api_version", ""),
            "last_update_date": data.get("last_update_date", ""),
            "snapshot_date": today,
        },
        "clients": {client: {"name": name, "platforms": [list(pair) for pair in pairs]}
                    for client, (name, pairs) in CLIENTS.items()},
        "features": features,
    }


def _read(source: Path) -> tuple[dict[str, Any], str, str]:
    """``(data, package version, licence text)`` from a tarball, directory or JSON file."""
    if source.is_file() and source.name.endswith((".tgz", ".tar.gz")):
        with tarfile.open(source) as tar:
            def member(name: str) -> bytes:
                handle = tar.extractfile(f"package/{name}")
                if handle is None:
                    raise FileNotFoundError(f"{source} has no package/{name}")
                return handle.read()

            package = json.loads(member("package.json"))
            return (json.loads(member("data/caniemail.json")), package["version"],
                    member("LICENSE").decode())
    root = source if source.is_dir() else source.parent.parent
    data_file = source if source.is_file() else root / "data" / "caniemail.json"
    package = json.loads((root / "package.json").read_text(encoding="utf-8"))
    return (json.loads(data_file.read_text(encoding="utf-8")), package["version"],
            (root / "LICENSE").read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m devsmtp.checks.refresh PATH/caniemail-X.Y.Z.tgz", file=sys.stderr)
        return 2
    data, version, licence = _read(Path(args[0]))
    today = datetime.now(UTC).date().isoformat()
    snapshot = compact(data, version, today)
    DATA_DIR.mkdir(exist_ok=True)
    (DATA_DIR / "caniemail.json").write_text(
        json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
        encoding="utf-8")
    (DATA_DIR / "CANIEMAIL-LICENSE").write_text(licence, encoding="utf-8")
    print(f"caniemail {version} (data {snapshot['source']['last_update_date']}): "
          f"{len(snapshot['features'])} features -> {DATA_DIR / 'caniemail.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
