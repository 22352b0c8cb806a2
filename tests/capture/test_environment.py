"""Environment capture: secrets never written, containers and batch jobs recognised, git state."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from provarchive import formats
from provarchive.capture import activity
from provarchive.capture.environment import (
    collect_environment,
    detect_batch,
    detect_container,
    git_state,
    installed_distributions,
    mask_argv,
)
from provarchive.capture.spool import compile_spool

SECRET = "s3cr3t-VALUE-never-written"


def test_secrets_never_reach_the_spool_or_the_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVARCHIVE_TOKEN", SECRET)
    monkeypatch.setenv("CONDA_API_KEY", SECRET)
    monkeypatch.setenv("PROVARCHIVE_ARCHIVE_URL", f"postgresql://me:{SECRET}@db.example.org/prov")
    monkeypatch.setenv("GITHUB_TOKEN", SECRET)
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr("sys.argv", ["tool", "--password", SECRET, f"--api-key={SECRET}", "input.fits"])
    collect_environment(refresh=True)
    spool = tmp_path / "s.jsonl"
    try:
        with activity("careful", spool=spool, parameters={"access_token": SECRET, "threshold": 3}) as act:
            act.parameter("client_secret", SECRET)
        assert SECRET not in spool.read_text()
        doc = compile_spool(spool)
        for fmt in ("PROV-JSON", "PROV-XML"):
            assert SECRET.encode() not in formats.dumps(doc, fmt)
        variables = doc.activities[0].attribute_values("pa:environmentVariable")
        assert "PROVARCHIVE_TOKEN=***" in variables
        assert "PROVARCHIVE_ARCHIVE_URL=postgresql://me:***@db.example.org/prov" in variables
        assert not any(v.startswith("GITHUB_TOKEN") for v in variables)  # CI values are not recorded
        assert doc.activities[0].attribute("pa:ci") == "ci"
    finally:
        collect_environment(refresh=True)


def test_mask_argv() -> None:
    assert mask_argv(["x", "--token", "abc", "--key=v", "user:pw@h", "https://u:p@h/x", "PASSWORD=1"]) == [
        "x", "--token", "***", "--key=***", "user:pw@h", "https://u:***@h/x", "PASSWORD=***",
    ]  # fmt: skip


def test_packages_and_basic_environment() -> None:
    env = collect_environment()
    assert env is collect_environment()  # cached per process
    names = {name for name, _version in env["packages"]}
    assert {"orjson", "pytest"} <= names
    assert env["python"]["version"].count(".") == 2
    assert env["user"]["name"]
    assert dict(installed_distributions())["pytest"] == __import__("pytest").__version__


def test_docker_cgroup_v1_and_v2_and_apptainer(tmp_path: Path) -> None:
    container_id = "4f" * 32
    v1 = tmp_path / "v1"
    (v1 / "proc" / "self").mkdir(parents=True)
    (v1 / ".dockerenv").write_text("")
    (v1 / "proc" / "self" / "cgroup").write_text(f"12:pids:/docker/{container_id}\n0::/\n")
    assert detect_container({}, root=str(v1)) == {"runtime": "docker", "id": container_id}
    v2 = tmp_path / "v2"
    (v2 / "proc" / "self").mkdir(parents=True)
    (v2 / ".dockerenv").write_text("")
    (v2 / "proc" / "self" / "cgroup").write_text("0::/\n")
    (v2 / "proc" / "self" / "mountinfo").write_text(
        f"622 600 254:1 /docker/containers/{container_id}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw\n"
    )
    assert detect_container({}, root=str(v2))["id"] == container_id
    podman = tmp_path / "podman"
    (podman / "run").mkdir(parents=True)
    (podman / "run" / ".containerenv").write_text('engine="podman-4"\nname="job"\nimage="quay.io/x/y:1"\n')
    assert detect_container({}, root=str(podman)) == {"runtime": "podman", "name": "job", "image": "quay.io/x/y:1"}
    env = {"APPTAINER_CONTAINER": "/images/ctapipe.sif", "APPTAINER_NAME": "ctapipe.sif"}
    found = detect_container(env, root=str(tmp_path / "empty"))
    assert found == {"runtime": "apptainer", "image": "/images/ctapipe.sif", "name": "ctapipe.sif"}


def test_batch_systems() -> None:
    assert detect_batch({"SLURM_JOB_ID": "42", "SLURM_ARRAY_TASK_ID": "3"}) == {
        "system": "slurm",
        "job_id": "42",
        "array_task_id": "3",
    }
    assert detect_batch({"PBS_JOBID": "7.server"})["system"] == "pbs"
    assert detect_batch({"LSB_JOBID": "9"}) == {"system": "lsf", "job_id": "9"}
    assert detect_batch({}) == {}


def test_git_state_commit_and_dirty_diff(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "t@example.org")
    git("config", "user.name", "T")
    (repo / "tool.py").write_text("print(1)\n")
    git("add", "tool.py")
    git("commit", "-qm", "one")
    clean = git_state(str(repo))
    assert clean["branch"] == "main" and len(clean["commit"]) == 40 and clean["dirty"] is False
    (repo / "tool.py").write_text("print(2)\n")
    dirty = git_state(str(repo))
    assert dirty["dirty"] is True and len(dirty["diff_sha256"]) == 64
    assert git_state(str(tmp_path)) == {}


def test_git_state_of_the_main_script_is_recorded_once_per_process(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (("init", "-q", "-b", "main"), ("config", "user.email", "t@x"), ("config", "user.name", "T")):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    script = repo / "pipeline.py"
    script.write_text(
        "import sys\n"
        "from provarchive.capture import activity\n"
        "for i in range(2):\n"
        "    with activity('step', spool=sys.argv[1] + str(i)):\n"
        "        pass\n"
    )
    subprocess.run(["git", "-C", str(repo), "add", "pipeline.py"], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "c"], check=True, capture_output=True)
    env = {k: v for k, v in __import__("os").environ.items() if k != "PROVARCHIVE_GIT"}
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "s")], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for i in range(2):
        doc = compile_spool(tmp_path / f"s{i}")
        (source,) = [e for e in doc.entities if e.attribute("pa:gitCommit")]
        assert source.attribute("pa:gitDirty") is False and source.attribute("pa:gitBranch") == "main"
