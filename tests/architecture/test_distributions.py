"""Two distributions from one repository: the library, and devsmtp with its
pytest plugin. A plain ``pip install invitations`` brings no SMTP server, no
web framework and no pytest fixtures."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

import invitations

ROOT = Path(__file__).resolve().parents[2]


def _build(source: Path, out: Path) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out),
         str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in wheel.namelist() if n.endswith(f".dist-info/{name}")]
    return wheel.read(path).decode()


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, zipfile.ZipFile]:
    out = tmp_path_factory.mktemp("wheels")
    return {
        "invitations": _build(ROOT, out / "invitations"),
        "devsmtp": _build(ROOT / "devsmtp", out / "devsmtp"),
    }


def test_the_library_wheel_holds_only_the_library(wheels: dict[str, zipfile.ZipFile]) -> None:
    wheel = wheels["invitations"]
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert tops == {"invitations", f"invitations-{invitations.__version__}.dist-info"}
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "invitations = invitations.cli:main" in entry_points
    assert "pytest11" not in entry_points and "devsmtp" not in entry_points


def test_the_plain_install_needs_no_server_parts(wheels: dict[str, zipfile.ZipFile]) -> None:
    metadata = Parser().parsestr(_dist_info(wheels["invitations"], "METADATA"))
    plain = [r for r in metadata.get_all("Requires-Dist") or [] if "extra ==" not in r]
    names = {r.split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in plain}
    assert names == {"jinja2", "itsdangerous", "babel", "click", "email-validator", "css-inline",
                     "regex"}
    extras = set(metadata.get_all("Provides-Extra") or [])
    assert {"web", "devsmtp"} <= extras


def test_devsmtp_wheel_carries_the_plugin_and_its_files(
    wheels: dict[str, zipfile.ZipFile],
) -> None:
    wheel = wheels["devsmtp"]
    names = set(wheel.namelist())
    for needed in ("devsmtp/__init__.py", "devsmtp/api/openapi.json",
                   "devsmtp/locales/fi/LC_MESSAGES/devsmtp.po", "devsmtp/py.typed",
                   "devsmtp/web/templates/inbox.html", "devsmtp/testing/plugin.py"):
        assert needed in names, needed
    assert not [n for n in names if "__pycache__" in n or n.endswith(("pyproject.toml", ".pyc"))]
    assert {n.split("/")[0] for n in names} == {
        "devsmtp", f"devsmtp-{invitations.__version__}.dist-info"}
    entry_points = _dist_info(wheel, "entry_points.txt")
    assert "[pytest11]\ndevsmtp = devsmtp.pytest_plugin" in entry_points
    metadata = Parser().parsestr(_dist_info(wheel, "METADATA"))
    assert metadata["Version"] == invitations.__version__  # written once
    requires = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("aiosmtpd") and "<1.5" in r for r in requires)
    assert not any(r.startswith("invitations") for r in requires)
