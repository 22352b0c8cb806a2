"""``provarchive jobdef`` and ``provarchive user`` against a real data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
PROVARCHIVE = str(Path(sys.executable).parent / "provarchive")


def run(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env["PROVARCHIVE_DATA_DIR"] = str(tmp_path)
    return subprocess.run([PROVARCHIVE, *args], env=env, capture_output=True, text=True, check=check, cwd=tmp_path)


def test_jobdef_commands(tmp_path: Path, conformance: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: '1'\ncommand: [echo, '{nosuch}']\nparameters: [{name: n, datatype: real}]\n")
    result = run(tmp_path, "jobdef", "validate", str(DATA / "echo.yaml"), str(bad), check=False)
    assert result.returncode == 1
    assert "echo.yaml: valid (echo/1)" in result.stdout
    assert "datatype 'real'" in result.stderr and "{nosuch}" in result.stderr
    assert "echo/1: added" in run(tmp_path, "jobdef", "add", str(DATA / "echo.yaml")).stdout
    assert "already stored" in run(tmp_path, "jobdef", "add", str(DATA / "echo.yaml")).stdout
    opus = conformance / "opus-jobdefs" / "test_activity_1_vot.xml"
    assert "test_activity_1/1: added" in run(tmp_path, "jobdef", "add", str(opus)).stdout
    listing = run(tmp_path, "jobdef", "list").stdout
    assert "echo\t1\t" in listing and "test_activity_1\t1\t" in listing
    assert "name: echo" in run(tmp_path, "jobdef", "show", "echo").stdout
    assert "voprov:ActivityDescription" in run(tmp_path, "jobdef", "show", "echo", "--format", "votable").stdout
    missing = run(tmp_path, "jobdef", "show", "nosuch", check=False)
    assert missing.returncode == 1 and "no job definition 'nosuch'" in missing.stderr
    refused = run(tmp_path, "jobdef", "add", str(bad), check=False)
    assert refused.returncode == 1 and "error:" in refused.stderr


def test_user_add_prints_a_token_and_refuses_bad_names(tmp_path: Path) -> None:
    token = run(tmp_path, "user", "add", "alice").stdout.strip()
    assert len(token) >= 40
    again = run(tmp_path, "user", "add", "alice", "--admin").stdout.strip()
    assert again != token
    bad = run(tmp_path, "user", "add", "a:b", check=False)
    assert bad.returncode == 1 and "user name" in bad.stderr
