"""Uploading captured provenance to the archive service over HTTP (real server, real processes).

The job runs while the archive is down: it keeps its exit status and its spool; once the
archive is up, ``provarchive spool upload`` delivers the record, exactly once however
often it is sent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from provarchive.capture.upload import ingest_endpoint, marker_path, upload
from tests.web.archive_support import chain_document, start_server
from tests.web.conftest import PROVARCHIVE, free_port

TOKEN_CONFIG = '[service]\nauth = "token"\n'


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env["PROVARCHIVE_DATA_DIR"] = str(tmp / "client-data")
    env.update(extra)
    return env


def test_job_with_the_archive_down_keeps_its_status_and_the_record_arrives_once(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    work = tmp_path / "work"
    work.mkdir()
    (work / "in.txt").write_text("raw data")
    spool = work / "job.jsonl"
    job = subprocess.run(
        [PROVARCHIVE, "run", "--name", "calibrate-http", "--used", "in.txt:raw", "--generated", "out.txt",
         "--spool", str(spool), "--archive", url, "--",
         sys.executable, "-c", "open('out.txt', 'w').write('product'); raise SystemExit(3)"],
        cwd=work, env=_env(tmp_path), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert job.returncode == 3, job.stderr  # the command's own status: the failed upload changes nothing
    assert (work / "out.txt").read_text() == "product"
    assert f"upload to {url} failed" in job.stderr and "spool kept" in job.stderr
    assert spool.is_file() and not Path(marker_path(spool)).exists()

    server = start_server(tmp_path / "server", None, TOKEN_CONFIG, port=port)
    try:
        token = server.cli("user", "add", "pipeline").strip()
        env = _env(tmp_path, PROVARCHIVE_TOKEN=token)
        sent = subprocess.run(
            [PROVARCHIVE, "spool", "upload", str(spool), "--archive", url],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert sent.returncode == 0, sent.stderr
        assert "records added" in sent.stdout and not sent.stdout.startswith(f"{spool}: 0 ")
        assert Path(marker_path(spool)).is_file()
        again = subprocess.run(
            [PROVARCHIVE, "spool", "upload", str(spool), "--archive", url],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert "already delivered" in again.stdout
        forced_cli = subprocess.run(
            [PROVARCHIVE, "spool", "upload", str(spool), "--archive", url, "--force"],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert forced_cli.returncode == 0, forced_cli.stderr  # sent again: the service adds nothing
        headers = {"Authorization": f"Bearer {token}"}
        found = httpx.get(f"{url}/archive/search", params={"kind": "activity"}, headers=headers).json()["items"]
        assert [item["name"] for item in found] == ["calibrate-http"]  # exactly once
        inputs = httpx.get(f"{url}/archive/search", params={"used": found[0]["id"]}, headers=headers).json()
        assert inputs["items"] == []  # 'used' filters products of activities that used an entity id
        stats = httpx.get(f"{url}/archive/stats", headers=headers).json()["tables"]
        assert stats["activity"] == 1 and stats["used"] >= 1 and stats["wasgeneratedby"] >= 1
        live = subprocess.run(
            [PROVARCHIVE, "run", "--name", "reconstruct-http", "--used", "out.txt:calibrated",
             "--archive", url, "--", sys.executable, "-c", "pass"],
            cwd=work, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert live.returncode == 0 and "failed" not in live.stderr, live.stderr  # delivered as the job ends
        found = httpx.get(f"{url}/archive/search", params={"kind": "activity"}, headers=headers).json()["items"]
        assert sorted(item["name"] for item in found) == ["calibrate-http", "reconstruct-http"]
    finally:
        server.stop()


@pytest.fixture(scope="module")
def token_archive(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("http-upload")
    server = start_server(tmp, None, TOKEN_CONFIG)
    token = server.cli("user", "add", "alice").strip()
    yield server, token
    server.stop()


def test_document_upload_is_idempotent_and_final_refusals_are_not_retried(token_archive, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server, token = token_archive
    monkeypatch.setenv("PROVARCHIVE_TOKEN", token)
    doc = chain_document("upload1")
    first = upload(doc, server.url)
    assert first.ok and first.attempts == 1 and first.ingest.total_added == 16
    second = upload(doc, f"{server.url}/archive/")
    assert second.ok and second.ingest.answer["replayed"] and second.ingest.total_added == 16
    conflicting = chain_document("upload1")
    conflicting.get("ex:upload1.raw").name = "changed"  # type: ignore[union-attr]
    refused = upload(conflicting, server.url, retries=3, backoff_s=0.01)
    assert not refused.ok and refused.attempts == 1 and "409" in (refused.error or "")
    assert "ex:upload1.raw" in (refused.error or "")
    monkeypatch.setenv("PROVARCHIVE_TOKEN", "wrong")
    unauthorised = upload(chain_document("upload2"), server.url, retries=3, backoff_s=0.01)
    assert not unauthorised.ok and unauthorised.attempts == 1 and "401" in (unauthorised.error or "")
    monkeypatch.delenv("PROVARCHIVE_TOKEN")
    basic = upload(chain_document("upload3"), server.url.replace("http://", f"http://alice:{token}@"))
    assert basic.ok and basic.ingest.total_added == 16


def test_unreachable_service_is_retried_within_the_budget_and_never_raises() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = upload(chain_document("down"), url, retries=2, backoff_s=0.01, max_total_s=5.0)
    assert not result.ok and result.attempts == 3 and "refused" in (result.error or "").lower()
    budget = upload(chain_document("down"), url, retries=50, backoff_s=0.05, max_total_s=0.2)
    assert not budget.ok and budget.attempts < 10  # the total budget, not the retry count, ends it


def test_ingest_endpoint_accepts_the_forms_of_a_service_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVARCHIVE_TOKEN", raising=False)
    for given in ("http://h:8000", "http://h:8000/", "http://h:8000/archive", "http://h:8000/archive/documents"):
        assert ingest_endpoint(given) == ("http://h:8000/archive/documents", {})
    assert ingest_endpoint("https://h/prov/archive")[0] == "https://h/prov/archive/documents"
    url, headers = ingest_endpoint("http://bob:s3cret@h/")
    assert url == "http://h/archive/documents" and headers["Authorization"] == "Basic Ym9iOnMzY3JldA=="
    monkeypatch.setenv("PROVARCHIVE_TOKEN", "abc")
    assert ingest_endpoint("http://h")[1] == {"Authorization": "Bearer abc"}
