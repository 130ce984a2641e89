"""Every code sample in README.md and docs/ runs, and every command it names exists.

- A ```python block runs in a fresh namespace, in a temporary directory, with
  ``INVITATIONS_*`` set for a ``memory://`` transport and a store in that
  directory. A block that defines ``test_*`` functions is a pytest module: it
  is written to a throw-away project and run by pytest in a subprocess, with
  the package's own plugin (devsmtp on 127.0.0.1, the registration pages).
- ```console / ```sh blocks are not run, but each ``invitations``,
  ``devsmtp``, ``pytest`` and ``make`` command they name must exist, with
  every ``--option`` it uses (checked against ``COMMAND --help``).
- README.md stays at most 10 KiB and shows ``make demo`` and ``make test``
  before any other command.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
BIN = Path(sys.executable).parent
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
SHELL_LANGS = {"console", "sh", "shell", "bash"}
TEST_KEY = "docs-sample-key-0123456789-abcdefghijklmnop"


@dataclass(frozen=True)
class Block:
    path: Path
    line: int
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def blocks(path: Path) -> Iterator[Block]:
    text = path.read_text(encoding="utf-8")
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield Block(path, line, match.group(1).lower(), match.group(2))


ALL = [block for path in markdown_files() for block in blocks(path)]
PYTHON = [b for b in ALL if b.lang == "python"]
SHELL = [b for b in ALL if b.lang in SHELL_LANGS]


def test_the_docs_have_samples() -> None:
    assert len(PYTHON) >= 10, [b.id for b in PYTHON]
    assert any("def test_" in b.code for b in PYTHON)


@pytest.fixture
def sample_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary working directory and the environment the samples assume."""
    import invitations

    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("INVITATIONS_", "DEVSMTP_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("INVITATIONS_SECRET_KEYS", TEST_KEY)
    monkeypatch.setenv("INVITATIONS_BASE_URL", "https://portal.example.fi")
    monkeypatch.setenv("INVITATIONS_TRANSPORT", "memory://")
    monkeypatch.setenv("INVITATIONS_DB", str(tmp_path / "invitations.db"))
    # Samples that build a service of their own with rotated keys read these.
    monkeypatch.setenv("NEW_KEY", "docs-sample-new-key-0123456789-abcdefghij")
    monkeypatch.setenv("OLD_KEY", TEST_KEY)
    invitations.reset_default_service()
    yield tmp_path
    invitations.reset_default_service()


@pytest.mark.parametrize("block", [b for b in PYTHON if "def test_" not in b.code],
                         ids=lambda b: b.id)
def test_python_sample_runs(block: Block, sample_env: Path) -> None:
    code = compile(block.code, block.id, "exec")
    namespace: dict[str, object] = {"__name__": "__docs_sample__"}
    # In a thread of its own, as a reader's script runs: no event loop is running there
    # (a browser test earlier in this worker leaves Playwright's loop on the main thread,
    # and a sample's ``asyncio.run()`` would refuse to start).
    failure: list[BaseException] = []

    def run() -> None:
        try:
            exec(code, namespace)
        except BaseException as error:
            failure.append(error)

    runner = threading.Thread(target=run, name=f"sample {block.id}")
    runner.start()
    runner.join(timeout=120)
    assert not runner.is_alive(), f"{block.id} still running after 120 s"
    if failure:
        raise failure[0]


@pytest.mark.parametrize("block", [b for b in PYTHON if "def test_" in b.code],
                         ids=lambda b: b.id)
def test_pytest_sample_passes(block: Block, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "test_sample.py").write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "DEVSMTP_", "INVITATIONS_")) and k != "PYTHONPATH"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--basetemp={project / 'tmp'}", "test_sample.py"],
        cwd=project, env=env, capture_output=True, text=True, timeout=150, check=False,
    )
    tests = len(re.findall(r"^def test_", block.code, re.MULTILINE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{tests} passed" in result.stdout, result.stdout


# -- shell samples: the commands and options they name exist ------------------


def commands(block: Block) -> Iterator[list[str]]:
    """Each command of a shell block, as words (prompt, comments and output left out)."""
    lines = block.code.splitlines()
    logical: list[str] = []
    pending = ""
    for raw in lines:
        line = raw.rstrip()
        if block.lang == "console":
            if not pending and not line.startswith("$ "):
                continue  # program output
            line = line.removeprefix("$ ")
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    for line in logical:
        for part in re.split(r"\s(?:\||&&|;)\s", line.split(" #", 1)[0]):
            try:
                words = shlex.split(part.strip(), comments=True)
            except ValueError:
                words = part.split()
            if words:
                yield words


def program(word: str) -> str:
    return word.removeprefix(".venv/bin/")


@cache
def help_text(*argv: str) -> str:
    result = subprocess.run([str(BIN / argv[0]), *argv[1:], "--help"], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} --help: {result.stderr}"
    return result.stdout


def subcommands(help_output: str) -> set[str]:
    section = help_output.split("Commands:", 1)
    if len(section) == 1:
        return set()
    return {m.group(1) for m in re.finditer(r"^  (\S+)", section[1], re.MULTILINE)}


CLI = [(block, words) for block in SHELL for words in commands(block)
       if program(words[0]) in {"invitations", "devsmtp", "pytest"}]


@pytest.mark.parametrize(("block", "words"), CLI,
                         ids=[f"{b.id}:{' '.join(w[:3])}" for b, w in CLI])
def test_cli_command_exists(block: Block, words: list[str]) -> None:
    argv = [program(words[0])]
    rest = words[1:]
    while rest and rest[0] in subcommands(help_text(*argv)):
        argv.append(rest.pop(0))
    if argv[0] != "pytest":
        assert len(argv) > 1 or rest == ["--help"], f"{block.id}: no subcommand in {words}"
    known = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", help_text(*argv)))
    for word in rest:
        option = re.sub(r"[=\[\]|].*", "", word.lstrip("["))
        if option.startswith("-") and option != "-":
            assert option in known, f"{block.id}: {' '.join(argv)} has no option {option}"


MAKE = [(block, words) for block in SHELL for words in commands(block) if words[0] == "make"]


def make_targets() -> set[str]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-z][\w-]*):", text, re.MULTILINE))


@pytest.mark.parametrize(("block", "words"), MAKE,
                         ids=[f"{b.id}:{' '.join(w)}" for b, w in MAKE])
def test_make_target_exists(block: Block, words: list[str]) -> None:
    for target in words[1:]:
        assert target in make_targets(), f"{block.id}: no Makefile target {target!r}"


# -- README -------------------------------------------------------------------


def test_readme_is_small() -> None:
    size = len(README.read_bytes())
    assert size <= 10_240, f"README.md is {size} bytes; the limit is 10,240"


def test_readme_shows_the_two_commands_first() -> None:
    text = README.read_text(encoding="utf-8")
    first = next(blocks(README))
    assert first.lang in SHELL_LANGS, f"the first sample of README.md is {first.lang}"
    shown = [" ".join(words) for words in commands(first)]
    assert shown[:2] == ["make demo", "make test"], shown
    before = text[: text.index("```")]
    assert not re.search(r"`(make|invitations|devsmtp|pip|python|pytest)\b", before), (
        "README.md names a command before `make demo` and `make test`")


def test_readme_links_stay_inside_the_repository() -> None:
    text = README.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if "://" in target:
            continue
        assert (ROOT / target).exists(), f"README.md links to a missing {target}"
