"""Templates and catalogs are package data: an installed wheel renders all languages."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

RENDER = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
import invitations
from invitations.resources import locales_dir, templates_dir
from invitations.rendering import InvitationEmail, compose_invitation, renderer_for

target = Path(sys.argv[1]).resolve()
for path in (Path(invitations.__file__), templates_dir(), locales_dir()):
    assert target in path.resolve().parents, f"{path} is not from the installed wheel"
expires = datetime(2025, 3, 14, 13, 5, tzinfo=UTC)
email = InvitationEmail("w", "a@example.com", None, "Oy", "Maija", "user",
                        "https://x.example/register?token=t", expires, timedelta(days=7),
                        ("fi", "sv", "en"), "<w@posti.fi>", "Posti <noreply@posti.fi>", expires)
rendered = renderer_for().render_invitation(email)
assert rendered.subject == "Kutsu käyttäjäksi / Inbjudan att bli användare / User invitation"
for text in ("Kutsu vanhenee 14.3.2025 klo 15.05", "Inbjudan går ut 14.3.2025 kl. 15.05",
             "The invitation expires on 14/03/2025 at 15:05"):
    assert text in rendered.text, text
assert 'lang="sv"' in rendered.html and "style=" in rendered.html
assert compose_invitation(email).data.startswith(b"From: Posti <noreply@posti.fi>")
print("rendered from", invitations.__file__)
"""


def test_installed_wheel_renders_all_languages(tmp_path: Path) -> None:
    dist, target = tmp_path / "dist", tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist),
         str(ROOT)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = dist.glob("invitations-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "invitations/templates/email/_layout.html" in names
    assert "invitations/locales/fi/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if n.endswith(".mo")]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
         "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", RENDER, str(target)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout
