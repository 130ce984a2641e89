"""``invitations demo`` serves the order form and the operator pages, with a demo
operator whose password is generated into the data directory (never printed)."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

COMMAND = [str(Path(sys.executable).with_name("invitations")), "demo", "--once"]
# English whatever the locale: the assertions read the English lines.
ENV = {**{k: v for k, v in os.environ.items() if not k.startswith("INVITATIONS_")},
       "INVITATIONS_LANG": "en"}


def test_the_demo_names_the_order_form_and_the_operator(tmp_path: Path) -> None:
    result = subprocess.run(COMMAND, cwd=tmp_path, env=ENV, capture_output=True, text=True,
                            timeout=90, check=False)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert re.search(r"^Order form: +http://127\.0\.0\.1:\d+/order$", result.stdout, re.M)
    match = re.search(r"^Operator: +http://127\.0\.0\.1:\d+/operator/orders \(user "
                      r"'operator', password in (\S+)\)$", result.stdout, re.M)
    assert match, result.stdout
    secret = tmp_path / match.group(1)
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    password = secret.read_text(encoding="utf-8").strip()
    assert len(password) >= 20 and password not in result.stdout + result.stderr
