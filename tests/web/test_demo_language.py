"""``invitations --lang fi demo --once``: the demo's banners in Finnish, the addresses in
one column however long the Finnish labels are."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

COMMAND = [str(Path(sys.executable).with_name("invitations")), "--lang", "fi", "demo",
           "--once"]
ENV = {k: v for k, v in os.environ.items() if not k.startswith("INVITATIONS_")}


def test_the_demo_speaks_finnish(tmp_path: Path) -> None:
    result = subprocess.run(COMMAND, cwd=tmp_path, env=ENV, capture_output=True, text=True,
                            timeout=90, check=False)
    output = result.stdout
    assert result.returncode == 0, f"{output}\n{result.stderr}"
    assert output.startswith("HUOM: demolle luotiin uusi salainen avain tiedostoon ")
    assert "\nSiepattu kutsu\n" in output
    assert "  Vastaanottaja: uusi.kayttaja@example.com" in output
    assert "  Kielet:        fi, sv, en" in output
    labels = ["Saapuneet", "Viesti", "Rekisteröityminen", "Kirjautuminen", "devsmtp-komento",
              "Tunnustilauslomake", "Asiakaspalvelu"]
    addresses = {}
    for line in output.splitlines():
        label, colon, rest = line.partition(":")
        if colon and label in labels:
            addresses[label] = (len(line) - len(rest.lstrip(" ")), rest.strip())
    assert list(addresses) == labels, output
    assert len({column for column, _ in addresses.values()}) == 1, output
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/operator/orders \(käyttäjä 'operator', "
                        r"salasana tiedostossa \S+\)", addresses["Asiakaspalvelu"][1])
    assert "Rekisteröitymissivu vastaa 200 (lomake näkyy)." in output
    for english in ("Inbox:", "Registration:", "Order form:", "Captured invitation"):
        assert english not in output
