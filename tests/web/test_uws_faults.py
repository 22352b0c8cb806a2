"""Faults: kill -9 of the server with jobs queued and running, restart, and jobs killed from outside."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Server, create, make_server, wait_final

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def one_slot_server(tmp_path: Path) -> Iterator[Server]:
    handle = make_server(tmp_path, "[service]\nslots = 1\nwait_max_s = 10.0\n")
    handle.start()
    yield handle
    handle.stop()


def wait_phase(client: httpx.Client, job_url: str, phase: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while client.get(f"{job_url}/phase").text != phase:
        assert time.monotonic() < deadline, f"{job_url} never reached {phase}"
        time.sleep(0.02)


def job_pids(server: Server, job_url: str) -> tuple[int, int]:
    """(shim pid, job pid) of a running job."""
    status = server.data_dir / "jobs" / job_url.rsplit("/", 1)[1] / "exit.json.pid"
    deadline = time.monotonic() + 10
    while not status.exists():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    child = int(status.read_text())
    with open(f"/proc/{child}/stat") as handle:
        parent = int(handle.read().rpartition(")")[2].split()[1])
    return parent, child


def test_job_killed_from_outside_ends_in_error(one_slot_server: Server, client: httpx.Client) -> None:
    job_url = create(client, one_slot_server, "sleep", {"seconds": "60", "PHASE": "RUN"})
    wait_phase(client, job_url, "EXECUTING")
    _, child = job_pids(one_slot_server, job_url)
    os.kill(child, signal.SIGKILL)
    assert wait_final(client, job_url) == "ERROR"
    assert "killed by SIGKILL" in client.get(f"{job_url}/error").text


def test_server_kill_9_and_restart_brings_every_job_to_a_correct_phase(
    one_slot_server: Server, client: httpx.Client
) -> None:
    server = one_slot_server
    running = create(client, server, "sleep", {"seconds": "1.5", "PHASE": "RUN"})
    wait_phase(client, running, "EXECUTING")
    job_pids(server, running)
    queued = [create(client, server, "echo", {"text": f"q{n}", "PHASE": "RUN"}) for n in range(3)]
    pending = create(client, server, "echo")
    server.kill()  # kill -9: no shutdown code runs
    time.sleep(2.0)  # the running job finishes while the service is down; its shim records the status
    server.start()
    moved = [u.replace(u.split("/uws/")[0], server.url) for u in [running, *queued, pending]]
    for job_url in moved[:-1]:
        assert wait_final(client, job_url) == "COMPLETED", client.get(f"{job_url}/error").text
    assert client.get(f"{moved[-1]}/phase").text == "PENDING"
    assert client.get(f"{moved[0]}/results/done").text == "done"


def test_running_job_survives_a_server_kill_and_is_adopted(one_slot_server: Server, client: httpx.Client) -> None:
    server = one_slot_server
    job_url = create(client, server, "sleep", {"seconds": "8", "PHASE": "RUN"})
    wait_phase(client, job_url, "EXECUTING")
    job_pids(server, job_url)
    time.sleep(0.2)  # the service has recorded the pid
    server.kill()
    server.start()  # the job is still running: it is adopted, not failed
    job_url = job_url.replace(job_url.split("/uws/")[0], server.url)
    assert client.get(f"{job_url}/phase").text == "EXECUTING"
    assert wait_final(client, job_url) == "COMPLETED"


def test_job_lost_with_the_server_ends_in_error_with_a_reason(one_slot_server: Server, client: httpx.Client) -> None:
    server = one_slot_server
    job_url = create(client, server, "sleep", {"seconds": "60", "PHASE": "RUN"})
    wait_phase(client, job_url, "EXECUTING")
    shim, child = job_pids(server, job_url)
    server.kill()
    os.kill(shim, signal.SIGKILL)  # the runner dies too, before it can record anything
    os.kill(child, signal.SIGKILL)
    time.sleep(0.2)
    server.start()
    job_url = job_url.replace(job_url.split("/uws/")[0], server.url)
    assert client.get(f"{job_url}/phase").text == "ERROR"
    assert "without an exit status" in client.get(f"{job_url}/error").text


def test_two_server_processes_share_one_database(tmp_path: Path, client: httpx.Client) -> None:
    """A job created and run by one process is followed with WAIT through another; starting
    the second process leaves the first one's running job alone."""
    config = "[service]\nslots = 1\nwait_max_s = 10.0\n"
    first = make_server(tmp_path, config)
    second = make_server(tmp_path, config)
    first.start()
    try:
        job_url = create(client, first, "sleep", {"seconds": "6", "PHASE": "RUN"})
        wait_phase(client, job_url, "EXECUTING")
        job_pids(first, job_url)
        second.start()  # its start-up reconciliation must not fail or re-run the first one's job
        other_url = job_url.replace(first.url, second.url)
        assert client.get(f"{other_url}/phase").text in ("EXECUTING", "COMPLETED")  # never ERROR or re-queued
        # WAIT in the second sees the first's change (generous timeout: CI machines may be loaded)
        assert wait_final(client, other_url, timeout_s=90) == "COMPLETED"
        assert client.get(f"{job_url}/results/done").text == "done"
        import sqlite3

        with sqlite3.connect(tmp_path / "archive.db") as db:
            (runner,) = db.execute("SELECT runner FROM uws_job").fetchone()
        assert first.process is not None and runner.split(":")[1] == str(first.process.pid)  # never adopted
    finally:
        second.stop()
        first.stop()


@pytest.mark.postgres
def test_service_on_a_postgresql_archive(tmp_path: Path, client: httpx.Client, fresh_postgres_url: str) -> None:
    server = make_server(tmp_path, "[service]\nslots = 1\n")
    server.env["PROVARCHIVE_ARCHIVE"] = fresh_postgres_url
    server.start()
    try:
        job_url = create(client, server, "echo", {"text": "on postgres", "PHASE": "RUN"})
        assert wait_final(client, job_url) == "COMPLETED", client.get(f"{job_url}/error").text
        assert "on postgres" in client.get(f"{job_url}/results/values").text
        assert client.get(f"{job_url}/provenance", params={"format": "PROV-N"}).status_code == 200
        assert not (tmp_path / "archive.db").exists()  # the jobs and the archive live in PostgreSQL
    finally:
        server.stop()


def test_jobs_get_a_clean_environment_and_their_own_directory(tmp_path: Path, client: httpx.Client) -> None:
    server = make_server(tmp_path, "")
    server.env["AWS_SECRET_ACCESS_KEY"] = "do-not-leak"
    server.env["LD_PRELOAD"] = "/nonexistent.so"
    server.start()
    try:
        job_url = create(client, server, "environ", {"greeting": "hello", "PHASE": "RUN"})
        assert wait_final(client, job_url) == "COMPLETED", client.get(f"{job_url}/error").text
        seen = client.get(f"{job_url}/results/environ").json()
        job_id = job_url.rsplit("/", 1)[1]
        assert seen["cwd"] == str(tmp_path / "jobs" / job_id / "work")
        env = seen["env"]
        assert "AWS_SECRET_ACCESS_KEY" not in env and "LD_PRELOAD" not in env
        assert env["greeting"] == "hello" and env["PROVARCHIVE_PARENT_ACTIVITY"] == f"pa:job-{job_id}"
        assert env["PROVARCHIVE_SPOOL"].startswith(str(tmp_path / "jobs" / job_id))
    finally:
        server.stop()
