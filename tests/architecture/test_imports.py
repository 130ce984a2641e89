"""The shape of the code, checked: what importing a package costs, and that no
module reaches back up through a cycle. The layer contract itself is
``lint-imports`` (``[tool.importlinter]`` in pyproject.toml), run here too so
that a plain ``pytest`` catches a broken layer."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _modules_after(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    code = f"{statement}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    loaded: list[str] = json.loads(out)
    return loaded


def _heavy(loaded: list[str]) -> list[str]:
    roots = ("smtplib", "ssl", "aiosmtpd", "starlette", "uvicorn", "httpx", "devsmtp",
             "jinja2", "sqlite3")
    return [m for m in loaded if m.split(".")[0] in roots]


def test_import_invitations_loads_no_transport_server_or_renderer() -> None:
    assert _heavy(_modules_after("import invitations")) == []


def test_models_and_errors_alone_stay_light() -> None:
    loaded = _modules_after("from invitations import Company, Inviter, InvitationError")
    assert _heavy(loaded) == []


def test_choosing_a_transport_by_url_loads_only_that_transport() -> None:
    loaded = _modules_after(
        "from invitations.transports import transport_from_url\n"
        "transport_from_url('memory://')"
    )
    transports = sorted(m for m in loaded if m.startswith("invitations.transports."))
    assert "invitations.transports.memory" in transports
    assert "invitations.transports.smtp" not in transports
    assert "smtplib" not in loaded


def test_the_lazy_public_names_resolve() -> None:
    loaded = _modules_after(
        "import invitations\n"
        "assert invitations.InvitationService.__name__ == 'InvitationService'\n"
        "assert invitations.SQLiteInvitationStore.__name__ == 'SQLiteInvitationStore'\n"
        "assert callable(invitations.service_from_env)"
    )
    assert "invitations.service" in loaded


def _cycles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
    modules = sorted(m for m in graph.modules if m == package or m.startswith(package + "."))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in modules:
                continue
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in modules:
        if module not in index:
            visit(module)
    return found


#: Imports made inside a function, on purpose, that close a loop; the layer contract
#: in pyproject.toml lists the same ones. Anything else in a cycle fails the test.
CALL_TIME_IMPORTS = {
    ("invitations.i18n.texts", "invitations.i18n.runtime"),
    ("devsmtp.errors", "devsmtp.catalog"),
}


@pytest.mark.parametrize("package", ["invitations", "devsmtp"])
def test_no_module_imports_itself_through_a_cycle(package: str) -> None:
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    for importer, imported in CALL_TIME_IMPORTS:
        if importer.startswith(package + "."):
            graph.remove_import(importer=importer, imported=imported)
    assert _cycles(graph, package) == []


def test_the_cycle_finder_finds_a_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "circle"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circle import b\n")
    (package / "b.py").write_text("from circle import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circle", cache_dir=None)
    assert _cycles(graph, "circle") == [["circle.a", "circle.b"]]


def test_the_layer_contract_holds() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint is not None, "import-linter is part of the test extra"
    result = subprocess.run([lint, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_benchmark_module_imports() -> None:
    """``make bench`` is not part of ``make test``; a moved name must still break here."""
    modules = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py"))
    assert modules, "bench/ has benchmark modules"
    code = "import importlib\n" + "".join(
        f"importlib.import_module('bench.{name}')\n" for name in modules)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
