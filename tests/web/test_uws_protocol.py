"""UWS 1.1 conformance against a real server: every endpoint, filter and illegal transition.

Each XML document is checked against the UWS 1.1 XSD and parsed by pyvo.io.uws.
"""

from __future__ import annotations

import io
import re
import time

import httpx
import pytest
from pyvo.io.uws import parse_job, parse_job_list

from .conftest import Server, assert_valid, create, wait_final

pytestmark = pytest.mark.timeout(120)


def job_xml(client: httpx.Client, job_url: str, uws_schema: dict, **params: str) -> bytes:  # type: ignore[type-arg]
    response = client.get(job_url, params=params)
    assert response.status_code == 200
    assert_valid(uws_schema["uws"], response.content)
    parse_job(io.BytesIO(response.content))
    return response.content


def test_create_pending_job_answers_303_and_valid_xml(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    job_url = create(client, server, "echo", {"text": "a", "RUNID": "my-run"})
    assert job_url.startswith(server.jobs("echo") + "/")
    body = job_xml(client, job_url, uws_schema)
    job = parse_job(io.BytesIO(body))
    assert job.phase == "PENDING" and job.runid == "my-run" and job.version == "1.1"
    assert client.get(f"{job_url}/phase").text == "PENDING"
    assert client.get(f"{job_url}/owner").text == ""
    assert client.get(f"{job_url}/quote").text == ""
    params = client.get(f"{job_url}/parameters")
    assert_valid(uws_schema["uws"], params.content)
    assert b'id="text"' in params.content


def test_phase_run_at_creation_is_queued_before_the_response(
    server: Server, client: httpx.Client, uws_schema: dict
) -> None:  # type: ignore[type-arg]
    job_url = create(client, server, "echo", {"text": "x", "PHASE": "RUN"})
    assert client.get(f"{job_url}/phase").text in ("QUEUED", "EXECUTING", "COMPLETED")
    assert wait_final(client, job_url) == "COMPLETED"
    body = job_xml(client, job_url, uws_schema)
    job = parse_job(io.BytesIO(body))
    ids = {r.id_ for r in job.results}
    assert {"values", "stdout", "stderr"} <= ids
    results = client.get(f"{job_url}/results")
    assert_valid(uws_schema["uws"], results.content)
    value = client.get(f"{job_url}/results/values")
    assert value.status_code == 200 and value.headers["content-type"].startswith("application/json")
    # The defaults were filled in when the job was run and are shown as parameters.
    assert b'id="mode"' in client.get(f"{job_url}/parameters").content


def test_run_then_completed_times_are_identical_strings(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    job_url = create(client, server, "echo")
    assert client.post(f"{job_url}/destruction", data={"DESTRUCTION": "2031-01-02T03:04:05.678Z"}).status_code == 303
    response = client.post(f"{job_url}/phase", data={"PHASE": "RUN"})
    assert response.status_code == 303 and response.headers["location"] == job_url
    assert wait_final(client, job_url) == "COMPLETED"
    body = job_xml(client, job_url, uws_schema).decode()
    destruction = client.get(f"{job_url}/destruction").text
    assert f"<uws:destruction>{destruction}</uws:destruction>" in body
    assert destruction.endswith("Z")


def test_job_list_filters_phase_after_last(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    first = create(client, server, "sleep", {"seconds": "0"})
    time.sleep(0.01)
    second = create(client, server, "sleep", {"seconds": "0", "PHASE": "RUN"})
    time.sleep(0.01)
    third = create(client, server, "sleep", {"seconds": "0"})
    assert wait_final(client, second) == "COMPLETED"
    ids = [u.rsplit("/", 1)[1] for u in (first, second, third)]

    def listed(params: list[tuple[str, str]]) -> list[str]:
        response = client.get(server.jobs("sleep"), params=params)
        assert response.status_code == 200, response.text
        assert_valid(uws_schema["uws"], response.content)
        return [ref.jobid for ref in parse_job_list(io.BytesIO(response.content))]

    everything = listed([])
    assert set(ids) <= set(everything)
    assert listed([("LAST", "2")]) == [ids[2], ids[1]]  # newest first
    assert listed([("PHASE", "COMPLETED"), ("LAST", "1")]) == [ids[1]]
    pending = listed([("PHASE", "PENDING")])
    assert ids[0] in pending and ids[2] in pending and ids[1] not in pending
    union = listed([("PHASE", "PENDING"), ("phase", "COMPLETED")])
    assert set(ids) <= set(union)
    created = re.search(r"<uws:creationTime>([^<]+)<", client.get(first).text).group(1)  # type: ignore[union-attr]
    after = listed([("AFTER", created)])  # strictly after the first job
    assert ids[0] not in after and ids[1] in after and ids[2] in after
    for bad in ([("LAST", "0")], [("LAST", "x")], [("PHASE", "RUNNING")], [("AFTER", "yesterday")]):
        response = client.get(server.jobs("sleep"), params=bad)
        assert response.status_code == 400 and b"QUERY_STATUS" in response.content


def test_illegal_state_changes_are_403(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo", {"PHASE": "RUN"})
    assert wait_final(client, job_url) == "COMPLETED"
    for path, data in (
        ("phase", {"PHASE": "RUN"}),
        ("phase", {"PHASE": "ABORT"}),
        ("parameters", {"text": "late"}),
        ("executionduration", {"EXECUTIONDURATION": "10"}),
    ):
        response = client.post(f"{job_url}/{path}", data=data)
        assert response.status_code == 403, (path, response.text)
        assert b'value="ERROR"' in response.content
    assert client.put(f"{job_url}/parameters/text", content=b"late").status_code == 403
    assert client.post(f"{job_url}/phase", data={"PHASE": "SUSPEND"}).status_code == 400


def test_unknown_job_is_404_everywhere(server: Server, client: httpx.Client) -> None:
    base = f"{server.jobs('echo')}/0123456789abcdef"
    for suffix in (
        "",
        "/phase",
        "/executionduration",
        "/destruction",
        "/error",
        "/quote",
        "/parameters",
        "/results",
        "/owner",
        "/results/x",
        "/provenance",
    ):
        assert client.get(base + suffix).status_code == 404, suffix
    assert client.delete(base).status_code == 404
    assert client.post(f"{base}/phase", data={"PHASE": "RUN"}).status_code == 404
    assert client.get(f"{server.url}/uws/nosuchdef/jobs").status_code == 404
    assert client.post(f"{server.url}/uws/nosuchdef/jobs", data={}).status_code == 404


def test_delete_and_action_delete_answer_303_to_the_list(server: Server, client: httpx.Client) -> None:
    for how in ("DELETE", "ACTION"):
        job_url = create(client, server, "echo")
        response = client.delete(job_url) if how == "DELETE" else client.post(job_url, data={"ACTION": "DELETE"})
        assert response.status_code == 303 and response.headers["location"] == server.jobs("echo")
        assert client.get(job_url).status_code == 404
    job_url = create(client, server, "echo")
    assert client.post(job_url, data={"ACTION": "EXPLODE"}).status_code == 400


def test_parameters_post_and_put_while_pending_with_validation(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo")
    assert client.post(f"{job_url}/parameters", data={"count": "4", "TEXT": "case-insensitive"}).status_code == 303
    assert client.put(f"{job_url}/parameters/mode", content=b"slow").status_code == 303
    assert client.get(f"{job_url}/parameters/count").text == "4"
    assert client.get(f"{job_url}/parameters/text").text == "case-insensitive"
    assert client.get(f"{job_url}/parameters/mode").text == "slow"
    bad = client.post(f"{job_url}/parameters", data={"count": "11", "mode": "medium", "nosuch": "1", "flag": "maybe"})
    assert bad.status_code == 400
    for fragment in (
        b"above the maximum 10",
        b"not one of the options",
        b"unknown parameter 'nosuch'",
        b"not a boolean",
    ):
        assert fragment in bad.content
    assert client.get(f"{job_url}/parameters/count").text == "4"  # nothing half-applied
    assert client.post(server.jobs("echo"), data={"label": "123456789"}).status_code == 400  # arraysize 8


def test_execution_duration_and_destruction(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "sleep")
    assert client.get(f"{job_url}/executionduration").text == "60"
    assert client.post(f"{job_url}/executionduration", data={"EXECUTIONDURATION": "5"}).status_code == 303
    assert client.get(f"{job_url}/executionduration").text == "5"
    assert client.post(f"{job_url}/executionduration", data={"EXECUTIONDURATION": "9999"}).status_code == 303
    assert client.get(f"{job_url}/executionduration").text == "600"  # the definition's maximum wins
    assert client.post(f"{job_url}/executionduration", data={"EXECUTIONDURATION": "-3"}).status_code == 400
    assert client.post(f"{job_url}/destruction", data={"DESTRUCTION": "not a date"}).status_code == 400


def test_wait_blocks_until_the_phase_changes(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    job_url = create(client, server, "sleep", {"seconds": "0.5", "PHASE": "RUN"})
    seen = []
    for _ in range(20):
        job = parse_job(io.BytesIO(job_xml(client, job_url, uws_schema, WAIT="-1")))
        seen.append(job.phase)
        if job.phase == "COMPLETED":
            break
    assert seen[-1] == "COMPLETED"
    # WAIT with a PHASE that is not the current one returns the job at once, unchanged.
    job = parse_job(io.BytesIO(job_xml(client, job_url, uws_schema, WAIT="30", PHASE="EXECUTING")))
    assert job.phase == "COMPLETED"
    assert client.get(job_url, params={"WAIT": "soon"}).status_code == 400


def test_failing_job_has_typed_error_summary(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    job_url = create(client, server, "fail", {"PHASE": "RUN"})
    assert wait_final(client, job_url) == "ERROR"
    job = parse_job(io.BytesIO(job_xml(client, job_url, uws_schema)))
    assert "calibration table missing" in job.errorsummary.message.content
    assert job.errorsummary.type_ == "fatal"
    error = client.get(f"{job_url}/error")
    assert error.status_code == 200 and "status 3" in error.text
    assert "calibration table missing" in client.get(f"{job_url}/results/stderr").text


def test_abort_kills_a_running_job(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "sleep", {"seconds": "30", "PHASE": "RUN"})
    deadline = time.monotonic() + 20
    while client.get(f"{job_url}/phase").text != "EXECUTING" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.post(f"{job_url}/phase", data={"PHASE": "ABORT"}).status_code == 303
    assert client.get(f"{job_url}/phase").text == "ABORTED"
    job_dir = server.data_dir / "jobs" / job_url.rsplit("/", 1)[1]
    deadline = time.monotonic() + 10
    while not (job_dir / "provenance.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (job_dir / "provenance.json").exists()  # aborted jobs get provenance too
    assert not (job_dir / "work" / "done.txt").exists()
    pending = create(client, server, "sleep")
    assert client.post(f"{pending}/phase", data={"PHASE": "ABORT"}).status_code == 303
    assert client.get(f"{pending}/phase").text == "ABORTED"
    assert client.get(f"{pending}/provenance").json()["activity"]  # a job aborted before it ran has provenance too


def test_execution_duration_is_enforced(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "sleep", {"seconds": "30", "EXECUTIONDURATION": "1", "PHASE": "RUN"})
    assert wait_final(client, job_url) == "ERROR"
    assert "execution duration of 1 s" in client.get(f"{job_url}/error").text


def test_post_to_job_without_action_is_400(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo")
    assert client.post(job_url, data={}).status_code == 400
    assert client.post(server.jobs("echo"), data={"PHASE": "ABORT"}).status_code == 400
