"""Token authentication: owners see only their jobs on every sub-resource, admins see all."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Server, make_server, wait_final

pytestmark = pytest.mark.timeout(120)

SUB_RESOURCES = (
    "",
    "/phase",
    "/executionduration",
    "/destruction",
    "/error",
    "/quote",
    "/parameters",
    "/results",
    "/owner",
    "/results/stdout",
    "/provenance",
    "/parameters/text",
)


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    handle = make_server(tmp_path_factory.mktemp("auth"), '[service]\nauth = "token"\nmax_active_jobs_per_user = 1\n')
    tokens = {name: handle.cli("user", "add", name).strip() for name in ("alice", "bob")}
    tokens["root"] = handle.cli("user", "add", "root", "--admin").strip()
    handle.start()
    yield handle, tokens
    handle.stop()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed(token_server: tuple[Server, dict[str, str]]) -> None:
    server, tokens = token_server
    database = (server.data_dir / "archive.db").read_bytes()
    assert tokens["alice"].encode() not in database


def test_anonymous_and_bad_tokens_get_401(token_server: tuple[Server, dict[str, str]], client: httpx.Client) -> None:
    server, _ = token_server
    assert client.get(server.jobs("echo")).status_code == 401
    assert client.post(server.jobs("echo"), data={}).status_code == 401
    assert client.get(server.jobs("echo"), headers=bearer("wrong")).status_code == 401
    basic = base64.b64encode(b"alice:wrong").decode()
    assert client.get(server.jobs("echo"), headers={"Authorization": f"Basic {basic}"}).status_code == 401


def test_owner_checks_on_every_endpoint(token_server: tuple[Server, dict[str, str]], client: httpx.Client) -> None:
    server, tokens = token_server
    created = client.post(server.jobs("echo"), data={"PHASE": "RUN"}, headers=bearer(tokens["alice"]))
    assert created.status_code == 303
    job_url = created.headers["location"]
    alice = httpx.Client(headers=bearer(tokens["alice"]), timeout=30)
    assert wait_final(alice, job_url) == "COMPLETED"
    assert alice.get(f"{job_url}/owner").text == "alice"
    assert "<uws:ownerId>alice</uws:ownerId>" in alice.get(job_url).text
    basic = base64.b64encode(f"alice:{tokens['alice']}".encode()).decode()
    assert client.get(f"{job_url}/phase", headers={"Authorization": f"Basic {basic}"}).text == "COMPLETED"
    for suffix in SUB_RESOURCES:
        response = client.get(job_url + suffix, headers=bearer(tokens["bob"]))
        assert response.status_code == 403, suffix
        assert client.get(job_url + suffix, headers=bearer(tokens["root"])).status_code in (200, 404), suffix
    for method, suffix, data in (
        ("POST", "/phase", {"PHASE": "ABORT"}),
        ("POST", "/destruction", {"DESTRUCTION": "2030-01-01T00:00:00Z"}),
        ("POST", "/parameters", {"text": "x"}),
        ("POST", "", {"ACTION": "DELETE"}),
        ("DELETE", "", None),
    ):
        response = client.request(method, job_url + suffix, data=data, headers=bearer(tokens["bob"]))
        assert response.status_code == 403, (method, suffix)
    assert job_url.rsplit("/", 1)[1] not in client.get(server.jobs("echo"), headers=bearer(tokens["bob"])).text
    assert job_url.rsplit("/", 1)[1] in client.get(server.jobs("echo"), headers=bearer(tokens["root"])).text
    assert alice.get(job_url).status_code == 200  # bob's attempts changed nothing
    alice.close()


def test_per_user_active_job_limit(token_server: tuple[Server, dict[str, str]], client: httpx.Client) -> None:
    server, tokens = token_server
    first = client.post(server.jobs("sleep"), data={"seconds": "30", "PHASE": "RUN"}, headers=bearer(tokens["bob"]))
    assert first.status_code == 303
    refused = client.post(server.jobs("sleep"), data={"seconds": "1", "PHASE": "RUN"}, headers=bearer(tokens["bob"]))
    assert refused.status_code == 403 and b"queued or executing" in refused.content
    other = client.post(server.jobs("sleep"), data={"seconds": "0", "PHASE": "RUN"}, headers=bearer(tokens["alice"]))
    assert other.status_code == 303  # the limit is per user
    abort = client.post(f"{first.headers['location']}/phase", data={"PHASE": "ABORT"}, headers=bearer(tokens["bob"]))
    assert abort.status_code == 303
