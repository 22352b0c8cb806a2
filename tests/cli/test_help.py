"""``--help`` works for every command and subcommand, including those added later by others.

The test walks the click command tree that Typer builds, so a new command module
registered in ``cli/app.py`` is covered without editing this file.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from provarchive.cli.app import build_app

ROOT = Path(__file__).resolve().parents[2]


def command_paths() -> list[tuple[str, ...]]:
    """Every command path in the application: (), ("convert",), ("archive", "ingest"), ..."""
    root = typer.main.get_command(build_app())
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        # a group has ``commands`` (Typer >= 0.20 ships its own copy of click, so no isinstance)
        subcommands = getattr(command, "commands", None) or {}
        for name in sorted(subcommands):
            walk(subcommands[name], (*path, name))

    walk(root, ())
    return paths


PATHS = command_paths()


def test_the_document_commands_are_registered() -> None:
    top = {path[0] for path in PATHS if path}
    assert {"convert", "validate", "show", "draw", "demo"} <= top


@pytest.mark.parametrize("path", PATHS, ids=lambda path: " ".join(path) or "provarchive")
def test_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(build_app(), [*path, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "usage:" in result.output.lower()  # Typer's "Usage:", or argparse's "usage:" (``run``)
    assert f"provarchive {' '.join(path)}".strip() in " ".join(result.output.split()) or not path
    if path:
        # a command documents itself: a summary line beyond the bare usage
        lines = [line for line in result.output.splitlines() if line.strip() and "usage:" not in line.lower()]
        assert lines, f"{' '.join(path)} has no help text"


@pytest.mark.parametrize("name", ["convert", "validate", "show", "draw", "demo"])
def test_document_commands_show_examples(name: str) -> None:
    result = CliRunner().invoke(build_app(), [name, "--help"], env={"COLUMNS": "120"})
    assert "Examples" in result.output
    assert f"provarchive {name}" in result.output


def test_help_in_a_real_process() -> None:
    script = ROOT / ".venv" / "bin" / "provarchive"
    command = (
        [str(script)]
        if script.exists()
        else [sys.executable, "-c", "import sys; from provarchive.cli import main; sys.exit(main())"]
    )
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "convert" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize("name", ["convert", "validate", "show", "draw", "demo"])
def test_document_commands_are_documented(name: str) -> None:
    """docs/cli.md has a section for each command, naming each of its options."""
    text = (ROOT / "docs" / "cli.md").read_text()
    assert f"\n## {name}\n" in text
    section = text.split(f"\n## {name}\n", 1)[1].split("\n## ", 1)[0]
    command = typer.main.get_command(build_app()).commands[name]  # type: ignore[attr-defined]
    for parameter in command.params:
        if parameter.name == "help":
            continue
        names = [*getattr(parameter, "opts", []), *getattr(parameter, "secondary_opts", [])]
        argument = getattr(parameter, "metavar", None) or parameter.name.upper()
        shown = [n for n in names if n.startswith("--")] or [argument]
        assert any(f"`{n}`" in section or f"`{n}," in section for n in shown), f"{name}: {shown} undocumented"
