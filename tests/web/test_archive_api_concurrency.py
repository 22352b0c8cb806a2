"""8 clients upload 1,000 documents in parallel (some sent twice, racing): nothing lost, nothing doubled."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from provarchive import formats
from tests.web.archive_support import chain_document, running
from tests.web.conftest import Server

CLIENTS = 8
DOCUMENTS = 1000
#: Each client also sends this many documents of its neighbour, racing it.
RACED = 25


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    url = request.getfixturevalue("fresh_postgres_url") if request.param == "postgresql" else None
    with running(tmp_path, url) as server:
        yield server


def test_parallel_uploads_lose_nothing_and_duplicate_nothing(empty_server: Server) -> None:
    bodies = [formats.dumps(chain_document(f"c{i:04d}", steps=1), "PROV-JSON") for i in range(DOCUMENTS)]
    answers: dict[int, list[dict[str, object]]] = {i: [] for i in range(DOCUMENTS)}

    def client(number: int) -> list[tuple[int, int, dict[str, object]]]:
        mine = [i for i in range(DOCUMENTS) if i % CLIENTS == number]
        neighbour = [i for i in range(DOCUMENTS) if i % CLIENTS == (number + 1) % CLIENTS][:RACED]
        order = [x for pair in zip(mine, neighbour + [None] * len(mine)) for x in pair if x is not None]
        out = []
        with httpx.Client(base_url=f"{empty_server.url}/archive", timeout=120) as session:
            for i in order:
                response = session.post("/documents", content=bodies[i])
                out.append((i, response.status_code, response.json()))
        return out

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = [item for part in pool.map(client, range(CLIENTS)) for item in part]
    assert len(results) == DOCUMENTS + CLIENTS * RACED
    for i, status, answer in results:
        assert status in (200, 201), answer
        answers[i].append(answer)
    for i, given in answers.items():
        names = ("pipeline", "raw", "step0", "product0", "step0_param_threshold")
        assert sorted(given[0]["ids"]) == sorted(f"ex:c{i:04d}.{name}" for name in names)  # type: ignore[arg-type]
        # every answer for the same document is the same answer (the ledger's first one)
        assert all({**a, "replayed": None} == {**given[0], "replayed": None} for a in given)
        assert sum(1 for a in given if not a["replayed"]) >= 1
    stats = httpx.get(f"{empty_server.url}/archive/stats", timeout=60).json()["tables"]
    assert stats["entity"] == 2 * DOCUMENTS and stats["activity"] == DOCUMENTS and stats["agent"] == DOCUMENTS
    assert stats["parameter"] == DOCUMENTS
    assert stats["used"] == stats["wasgeneratedby"] == stats["wasassociatedwith"] == DOCUMENTS
    assert stats["wasconfiguredby"] == DOCUMENTS
    found = httpx.get(f"{empty_server.url}/archive/search", params={"kind": "activity", "limit": 1000}, timeout=60)
    assert sorted(item["id"] for item in found.json()["items"]) == [f"ex:c{i:04d}.step0" for i in range(DOCUMENTS)]
