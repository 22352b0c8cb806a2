"""The capture commands end to end (real processes): import ctapipe, spool compile/upload, run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from provarchive import formats
from provarchive.capture.spool import compile_spool

ENTRY = "import sys; from provarchive.cli import main; sys.exit(main())"
HEAVY = ("typer", "rich", "sqlalchemy", "astropy", "lxml", "rdflib", "provarchive.model", "json", "argparse")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", ENTRY, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_run_fast_path_imports_nothing_heavy(tmp_path: Path) -> None:
    probe = (
        "import sys; from provarchive.cli import main; code = main(['run', '--used', 'x.txt:raw', '--', 'true']); "
        "print(' '.join(sorted(sys.modules))); sys.exit(code)"
    )
    (tmp_path / "x.txt").write_text("x")
    env = dict(os.environ, PROVARCHIVE_HASH="stat")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    loaded = set(done.stdout.split())
    assert "provarchive.capture.wrapper" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_sigterm_to_the_wrapper_reaches_the_command(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", ENTRY, "run", "--spool", str(spool), "--", "sleep", "60"], cwd=tmp_path
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (spool.exists() and '"e":"start"' in spool.read_text()):
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)  # the handlers exist before the start event is written
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    act = compile_spool(spool).activities[0]
    assert (act.attribute("pa:status"), act.attribute("pa:signal")) == ("killed", signal.SIGTERM)


def test_import_ctapipe_and_spool_commands(conformance: Path, tmp_path: Path) -> None:
    log = conformance / "ctapipe-provenance" / "ctapipe-0.7.0-pytest.provenance.log"
    done = cli("import", "ctapipe", str(log), "-o", "ctapipe.provn", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(formats.read(tmp_path / "ctapipe.provn").activities) == 4
    printed = cli("import", "ctapipe", str(log), cwd=tmp_path)
    assert json.loads(printed.stdout)["activity"]
    bad = cli("import", "ctapipe", str(tmp_path / "ctapipe.provn"), cwd=tmp_path)
    assert bad.returncode != 0 and "error:" in bad.stderr and "Traceback" not in bad.stderr

    spool = tmp_path / "s.jsonl"
    assert cli("run", "--spool", str(spool), "--", "true", cwd=tmp_path).returncode == 0
    compiled = cli("spool", "compile", str(spool), "-o", "run.json", cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stderr
    assert formats.read(tmp_path / "run.json").activities[0].name == "true"
    missing = cli("spool", "compile", str(tmp_path / "nope.jsonl"), cwd=tmp_path)
    assert missing.returncode != 0 and "nope.jsonl" in missing.stderr

    pytest.importorskip("provarchive.store")
    archive = str(tmp_path / "archive.db")
    first = cli("spool", "upload", str(spool), "--archive", archive, cwd=tmp_path)
    assert first.returncode == 0 and "records added" in first.stdout, first.stderr
    again = cli("spool", "upload", str(spool), "--archive", archive, cwd=tmp_path)
    assert "already delivered" in again.stdout
    unreachable = cli("spool", "upload", str(spool), "--archive", "http://127.0.0.1:9/", cwd=tmp_path)
    assert unreachable.returncode != 0 and "spool kept" in unreachable.stderr and spool.exists()
