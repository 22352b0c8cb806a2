"""``GET /`` lists the entry points, and each link it gives answers."""

from __future__ import annotations

import httpx

from .conftest import Server


def test_index_links_answer(server: Server, client: httpx.Client) -> None:
    index = client.get(f"{server.url}/")
    assert index.status_code == 200
    body = index.json()
    assert body["service"] == "provarchive"
    assert "echo" in body["job_lists"]
    for url in (
        body["job_lists"]["echo"],
        body["job_definitions"],
        body["archive"]["stats"],
        f"{body['tap']}/availability",
        body["availability"],
        body["openapi"],
    ):
        assert client.get(url).status_code == 200, url
