"""Inputs (upload, param: form, URL, archive id) and hostile input against a real server."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import Server, create, wait_final

pytestmark = pytest.mark.timeout(120)

HOSTILE = ["a; rm -rf /", "$(touch pwned)", "`id`", "x\ny\r\nz", "| cat /etc/passwd", "' \" \\ &&", "--help", "*?[]{}~"]


def test_shell_metacharacters_reach_the_program_unchanged(server: Server, client: httpx.Client) -> None:
    for value in HOSTILE:
        job_url = create(client, server, "echo", {"text": value, "PHASE": "RUN"})
        assert wait_final(client, job_url) == "COMPLETED", client.get(f"{job_url}/error").text
        values = json.loads(client.get(f"{job_url}/results/values").content)
        assert values["argv"][0] == value  # one argv element, byte for byte
        assert values["env"]["text"] == value
        job_dir = server.data_dir / "jobs" / job_url.rsplit("/", 1)[1] / "work"
        assert not (job_dir / "pwned").exists()


@pytest.mark.parametrize("name", ["count", "big", "small", "ratio", "level", "flag"])
def test_metacharacters_in_typed_parameters_are_refused(server: Server, client: httpx.Client, name: str) -> None:
    for value in ("1; rm -rf /", "1\n2", "$(id)", "1 && 2", "\x00"):
        response = client.post(server.jobs("echo"), data={name: value})
        assert response.status_code == 400, (name, value)
        assert f"parameter '{name}'".encode() in response.content


def test_options_and_missing_optional_parameter(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo", {"mode": "slow", "label": "L1", "PHASE": "RUN"})
    assert wait_final(client, job_url) == "COMPLETED"
    argv = json.loads(client.get(f"{job_url}/results/values").content)["argv"]
    assert argv[-2:] == ["slow", "--label=L1"]
    job_url = create(client, server, "echo", {"PHASE": "RUN"})
    assert wait_final(client, job_url) == "COMPLETED"
    argv = json.loads(client.get(f"{job_url}/results/values").content)["argv"]
    assert not any(a.startswith("--label") for a in argv)  # optional and absent: the element is dropped


def test_upload_by_field_name_and_by_param_reference(server: Server, client: httpx.Client) -> None:
    content = b"\x00binary\xffdata" * 10
    direct = create(client, server, "copy", {"PHASE": "RUN"}, files={"data": ("../../etc/passwd", content)})
    assert wait_final(client, direct) == "COMPLETED", client.get(f"{direct}/error").text
    assert client.get(f"{direct}/results/copy").content == content
    params = client.get(f"{direct}/parameters").text
    assert 'byReference="true"' in params and "param:data" in params
    inputs = list((server.data_dir / "jobs" / direct.rsplit("/", 1)[1] / "inputs" / "data").iterdir())
    assert [p.name for p in inputs] == ["0_passwd"]  # the client's path never chooses where a file goes
    referenced = create(
        client, server, "copy", {"data": "param:upload1", "PHASE": "RUN"}, files={"upload1": ("f.bin", b"via param")}
    )
    assert wait_final(client, referenced) == "COMPLETED"
    assert client.get(f"{referenced}/results/copy").content == b"via param"


def test_upload_problems_are_400_or_413(server: Server, client: httpx.Client) -> None:
    assert client.post(server.jobs("copy"), data={"PHASE": "RUN"}).status_code == 400  # required input missing
    wrong = client.post(server.jobs("copy"), data={"data": "param:nothing"}, files={"other": ("x", b"1")})
    assert wrong.status_code == 400
    big = client.post(server.jobs("copy"), data={"PHASE": "RUN"}, files={"data": ("big.bin", b"x" * 300_000)})
    assert big.status_code == 413 and b"QUERY_STATUS" in big.content


def test_input_from_a_url(server: Server, client: httpx.Client) -> None:
    # The server itself serves a file: the result of an earlier job.
    first = create(client, server, "copy", {"PHASE": "RUN"}, files={"data": ("a.txt", b"fetched by url")})
    assert wait_final(client, first) == "COMPLETED"
    second = create(client, server, "copy", {"data": f"{first}/results/copy", "PHASE": "RUN"})
    assert wait_final(client, second) == "COMPLETED", client.get(f"{second}/error").text
    assert client.get(f"{second}/results/copy").content == b"fetched by url"
    bad = client.post(server.jobs("copy"), data={"data": f"{server.url}/no/such/file"})
    assert bad.status_code == 400 and b"HTTP 404" in bad.content


def test_result_ids_cannot_traverse(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo", {"PHASE": "RUN"})
    assert wait_final(client, job_url) == "COMPLETED"
    for result_id in ("..%2F..%2Fprovarchive.toml", "..%2Fstdout.txt", "%2Fetc%2Fpasswd", "values.json"):
        response = client.get(f"{job_url}/results/{result_id}")
        assert response.status_code == 404, result_id
    assert client.get(f"{job_url}/results/../../../provarchive.toml").status_code == 404


def test_provenance_in_every_format(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "echo", {"text": "prov", "PHASE": "RUN"})
    assert wait_final(client, job_url) == "COMPLETED"
    for fmt, marker in (
        ("PROV-JSON", b'"activity"'),
        ("PROV-N", b"activity("),
        ("PROV-XML", b"prov:activity"),
        ("PROV-VOTABLE", b"VOTABLE"),
        ("SVG", b"<svg"),
        ("PROV-O", b"prov:"),
        ("DOT", b"digraph"),
    ):
        response = client.get(f"{job_url}/provenance", params={"format": fmt})
        assert response.status_code == 200, (fmt, response.text[:300])
        assert marker in response.content, fmt
    document = client.get(f"{job_url}/provenance").json()
    job_id = job_url.rsplit("/", 1)[1]
    activity = document["activity"][f"pa:job-{job_id}"]
    assert activity["pa:uwsPhase"] == "COMPLETED"
    roles = {v.get("prov:role") for v in document["wasAssociatedWith"].values()}
    assert {"owner", "contact"} <= roles
    generated = {v["prov:entity"] for v in document["wasGeneratedBy"].values()}
    assert f"pa:job-{job_id}-out-values" in generated and f"pa:job-{job_id}-out-stdout" in generated
    parameters = [e for e in document["entity"].values() if "voprov:Parameter" in json.dumps(e.get("prov:type"))]
    assert any(p.get("prov:value") == "prov" for p in parameters)
    assert client.get(f"{job_url}/provenance", params={"format": "GIF"}).status_code == 400


def test_failed_job_has_provenance_too(server: Server, client: httpx.Client) -> None:
    job_url = create(client, server, "fail", {"PHASE": "RUN"})
    assert wait_final(client, job_url) == "ERROR"
    document = client.get(f"{job_url}/provenance").json()
    activity = next(iter(document["activity"].values()))
    assert activity["pa:uwsPhase"] == "ERROR" and "calibration table missing" in activity["pa:errorSummary"]


def test_definitions_are_published_as_json_yaml_and_votable(server: Server, client: httpx.Client) -> None:
    listing = client.get(f"{server.url}/jobdefs").json()
    assert {"echo", "sleep", "copy", "fail", "trivial"} <= {d["name"] for d in listing}
    echo = client.get(f"{server.url}/jobdefs/echo").json()
    assert echo["version"] == "1" and echo["versions"] == ["1"]
    assert {p["name"] for p in echo["parameters"]} >= {"text", "count", "mode"}
    votable = client.get(f"{server.url}/jobdefs/echo", params={"format": "votable"})
    assert votable.status_code == 200 and b"voprov:ActivityDescription" in votable.content
    assert b"name: echo" in client.get(f"{server.url}/jobdefs/echo", params={"format": "yaml"}).content
    assert client.get(f"{server.url}/jobdefs/nosuch").status_code == 404
    assert client.get(f"{server.url}/jobdefs/echo", params={"version": "7"}).status_code == 404


def test_vosi_availability_and_capabilities(server: Server, client: httpx.Client, uws_schema: dict) -> None:  # type: ignore[type-arg]
    from .conftest import assert_valid

    availability = client.get(f"{server.url}/availability")
    assert availability.status_code == 200
    assert_valid(uws_schema["availability"], availability.content)
    capabilities = client.get(f"{server.url}/capabilities")
    assert b"ivo://ivoa.net/std/UWS#rest-1.1" in capabilities.content
    assert server.jobs("echo").encode() in capabilities.content


def test_opus_definitions_import_and_run(server: Server, client: httpx.Client, conformance) -> None:  # type: ignore[no-untyped-def]
    folder = conformance / "opus-jobdefs"
    out = server.cli("jobdef", "add", str(folder / "test_activity_1_vot.xml"), str(folder / "test_activity_2_vot.xml"))
    assert "test_activity_1/1: added" in out
    first = create(client, server, "test_activity_1", {"text": "Hello; $(id)", "PHASE": "RUN"})
    second = create(
        client, server, "test_activity_2", {"text": "!", "PHASE": "RUN"}, files={"input": ("in.txt", b"line one\n")}
    )
    assert wait_final(client, first, 60) == "COMPLETED", client.get(f"{first}/error").text
    assert wait_final(client, second, 60) == "COMPLETED", client.get(f"{second}/error").text
    assert client.get(f"{first}/results/output").text == "Hello; $(id)\n"  # a value, never shell code
    assert client.get(f"{second}/results/output").text == "line one\n!\n"
