"""The archive over HTTP against a real ``provarchive serve`` (uvicorn) on SQLite and PostgreSQL.

Ingest (formats, idempotency, conflicts, malformed documents, size limits, tokens) and the
read API (records, lineage as PROV-JSON, graph and SVG, impact and marks, search pages,
statistics); every error is an RFC 9457 problem document.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from provarchive import formats
from provarchive.model import Document, Element
from provarchive.store import open_archive
from tests.web.archive_support import chain_document, running, start_server
from tests.web.conftest import Server

PROBLEM = "application/problem+json"
CONFIG = '[service]\nauth = "token"\nmax_upload_bytes = 3000000\n'


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A token-mode server on each backend, its archive URL, and tokens of alice and bob."""
    tmp = tmp_path_factory.mktemp(f"archive-{request.param}")
    url = request.getfixturevalue("module_postgres_url") if request.param == "postgresql" else str(tmp / "archive.db")
    server = start_server(tmp, url, CONFIG)
    server.tokens = {name: server.cli("user", "add", name).strip() for name in ("alice", "bob")}  # type: ignore[attr-defined]
    yield server, url
    server.stop()


@pytest.fixture
def api(served: tuple[Server, str]) -> Iterator[httpx.Client]:
    server, _url = served
    token = server.tokens["alice"]  # type: ignore[attr-defined]
    with httpx.Client(base_url=f"{server.url}/archive", headers={"Authorization": f"Bearer {token}"}, timeout=60) as c:
        yield c


def element_ids(doc: Document) -> set[str]:
    return {record.id for record in doc.records if isinstance(record, Element)}


def tag() -> str:
    return "t" + uuid.uuid4().hex[:10]


def problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["detail"] and body["type"].startswith("https://")
    return body  # type: ignore[no-any-return]


def post(api: httpx.Client, doc_bytes: bytes, **kwargs: object) -> httpx.Response:
    return api.post("/documents", content=doc_bytes, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------------ ingest


def test_ingest_answers_what_was_added_and_where_to_read_it(api: httpx.Client) -> None:
    name = tag()
    body = formats.dumps(chain_document(name), "PROV-JSON")
    first = post(api, body, headers={"Content-Type": "application/json"})
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["status"] == "added" and not answer["replayed"] and answer["format"] == "PROV-JSON"
    assert (
        answer["added"]["entity"] == 3
        and answer["added"]["parameter"] == 2
        and answer["added"]["activity"] == 2
        and answer["added"]["used"] == 2
    )
    assert answer["total_added"] == 16 and answer["unchanged"] == 0
    assert f"ex:{name}.product1" in answer["ids"] and len(answer["ids"]) == 8
    record_url = answer["read_back"]["record"].replace("{id}", f"ex:{name}.product1")
    record = api.get(record_url)
    assert record.status_code == 200 and record.json()["attributes"]["prov:label"] == f"{name} product 1"
    assert api.get(answer["read_back"]["lineage"].replace("{id}", f"ex:{name}.product1")).status_code == 200


def test_same_bytes_or_key_give_the_same_answer_and_add_nothing(api: httpx.Client) -> None:
    body = formats.dumps(chain_document(tag()), "PROV-JSON")
    first = post(api, body).json()
    before = api.get("/stats").json()
    again = post(api, body)
    assert again.status_code == 201 and again.json() == {**first, "replayed": True}
    keyed_body = formats.dumps(chain_document(tag()), "PROV-N")
    keyed = post(api, keyed_body, headers={"Idempotency-Key": "job-42-" + tag()})
    assert keyed.status_code == 201 and keyed.json()["idempotency_key"].startswith("job-42-")
    replay = post(api, keyed_body, headers={"Idempotency-Key": keyed.json()["idempotency_key"]})
    assert replay.json() == {**keyed.json(), "replayed": True}
    by_bytes = post(api, keyed_body)  # same bytes without the key: the answer recorded under the body's hash
    assert by_bytes.json()["total_added"] == keyed.json()["total_added"] and by_bytes.json()["replayed"]
    reused = post(api, body, headers={"Idempotency-Key": keyed.json()["idempotency_key"]})
    assert "different document" in str(problem(reused, 422)["detail"])
    after = api.get("/stats").json()
    assert after["tables"]["entity"] == before["tables"]["entity"] + 3


@pytest.mark.parametrize("fmt", ["PROV-N", "PROV-XML", "PROV-O", "PROV-JSONLD", "PROV-VOTABLE"])
def test_every_readable_format_by_content_type_or_parameter(api: httpx.Client, fmt: str) -> None:
    name = tag()
    spec = formats.get_format(fmt)
    body = formats.dumps(chain_document(name), fmt)
    sent = post(api, body, headers={"Content-Type": spec.media_type})
    assert sent.status_code == 201, sent.text
    assert sent.json()["format"] == fmt and sent.json()["added"]["entity"] == 3
    detected = post(
        api, formats.dumps(chain_document(tag()), fmt), headers={"Content-Type": "application/octet-stream"}
    )
    assert detected.status_code == 201 and detected.json()["format"] == fmt
    named = post(api, formats.dumps(chain_document(tag()), fmt), params={"format": fmt.lower()})
    assert named.status_code == 201 and named.json()["format"] == fmt


def test_malformed_documents_get_400_with_line_and_column_and_store_nothing(api: httpx.Client) -> None:
    before = api.get("/stats").json()
    provn = formats.dumps(chain_document(tag()), "PROV-N").replace(b"used(", b"used((", 1)
    body = problem(post(api, provn, headers={"Content-Type": "text/provenance-notation"}), 400)
    assert body["format"] == "PROV-N" and isinstance(body["line"], int) and body["line"] > 1
    assert isinstance(body["column"], int) and f"line {body['line']}" in str(body["detail"])
    broken_json = b'{"entity": {"ex:a": {"prov:label": "x"}},\n  "activity": [}'
    assert problem(post(api, broken_json), 400)["line"] == 2
    assert "empty" in str(problem(post(api, b"  \n"), 400)["detail"])
    assert "cannot tell the format" in str(problem(post(api, b"hello world"), 400)["detail"])
    assert "output-only" in str(problem(post(api, b"digraph {}", params={"format": "dot"}), 400)["detail"])
    assert "image/png" in str(problem(post(api, b"\x89PNG", headers={"Content-Type": "image/png"}), 415)["detail"])
    assert api.get("/stats").json() == before


def test_conflicts_get_409_naming_the_record_and_merge_completes(api: httpx.Client) -> None:
    name = tag()
    doc = chain_document(name)
    assert post(api, formats.dumps(doc, "PROV-JSON")).status_code == 201
    changed = chain_document(name)
    changed.get(f"ex:{name}.raw").name = "another name"  # type: ignore[union-attr]
    body = problem(post(api, formats.dumps(changed, "PROV-JSON")), 409)
    assert body["record_id"] == f"ex:{name}.raw" and "merge=true" in str(body["detail"])
    stored = api.get(f"/records/ex:{name}.raw").json()
    assert stored["attributes"]["prov:label"] == f"{name} raw"  # stored data is never lost
    more = chain_document(name)
    more.get(f"ex:{name}.raw").attributes.append(("ex:checksum", "abc"))  # type: ignore[union-attr]
    merged = post(api, formats.dumps(more, "PROV-JSON"), params={"merge": "true"})
    assert merged.status_code in (200, 201) and merged.json()["merged"] == 1
    assert api.get(f"/records/ex:{name}.raw").json()["attributes"]["ex:checksum"] == "abc"


def test_bodies_over_the_limit_get_413_declared_or_streamed(api: httpx.Client) -> None:
    big = b" " * 3_100_000
    assert "3000000" in str(problem(post(api, big + b"{}"), 413)["detail"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while streaming
        for _ in range(40):
            yield b" " * 100_000

    assert problem(api.post("/documents", content=chunks()), 413)


def test_tokens_of_the_job_service_protect_the_archive(served: tuple[Server, str]) -> None:
    server, _url = served
    body = formats.dumps(chain_document(tag()), "PROV-JSON")
    with httpx.Client(base_url=f"{server.url}/archive", timeout=30) as anonymous:
        refused = anonymous.post("/documents", content=body)
        assert "token" in str(problem(refused, 401)["detail"]) and "Bearer" in refused.headers["www-authenticate"]
        problem(anonymous.get("/stats", headers={"Authorization": "Bearer wrong"}), 401)
        problem(anonymous.post("/marks", json={"ids": ["ex:x"]}), 401)
        basic = anonymous.post("/documents", content=body, auth=("bob", server.tokens["bob"]))  # type: ignore[attr-defined]
        assert basic.status_code == 201


# -------------------------------------------------------------------------- read


def test_record_with_attributes_and_direct_relations(api: httpx.Client) -> None:
    name = tag()
    post(api, formats.dumps(chain_document(name), "PROV-JSON"))
    record = api.get(f"/records/ex:{name}.step1").json()
    assert record["kind"] == "activity" and record["attributes"]["prov:label"] == "step1"
    kinds = sorted(r["kind"] for r in record["relations"])
    assert kinds == ["used", "wasAssociatedWith", "wasGeneratedBy", "wasInfluencedBy"]
    assert f"ex:{name}.step1_param_threshold" in record["related"]
    assert record["prefix"]["ex"].startswith("http://example.org/")
    assert [i["id"] for i in api.get(record["links"]["impact"]).json()["items"]] == [f"ex:{name}.product1"]
    agent = api.get(f"/records/ex:{name}.pipeline").json()
    assert agent["kind"] == "agent" and len(agent["relations"]) == 2
    assert problem(api.get(f"/records/ex:{name}.nothing"), 404)["record_id"] == f"ex:{name}.nothing"


def test_lineage_as_prov_json_graph_and_svg(api: httpx.Client) -> None:
    name = tag()
    post(api, formats.dumps(chain_document(name, steps=3), "PROV-JSON"))
    product = f"ex:{name}.product2"
    one = api.get("/lineage", params={"id": product, "depth": "1"})
    assert one.status_code == 200 and one.headers["content-type"] == "application/json"
    back = formats.loads(one.content, "PROV-JSON")
    assert element_ids(back) >= {product, f"ex:{name}.step2"}
    assert f"ex:{name}.raw" not in element_ids(back)
    everything = formats.loads(api.get("/lineage", params={"id": product, "depth": "all"}).content, "PROV-JSON")
    assert f"ex:{name}.raw" in element_ids(everything)
    graph = api.get("/lineage", params={"id": product, "depth": "all", "format": "graph", "agents": "false"}).json()
    keys = {n["key"] for n in graph["nodes"]}
    assert {f"ex:{name}.raw", f"ex:{name}.step0", product} <= keys and f"ex:{name}.pipeline" not in keys
    assert all(e["source"] in keys and e["target"] in keys for e in graph["edges"])
    assert {"source": f"ex:{name}.step0", "target": f"ex:{name}.raw", "relation": "used", "role": "input"} in graph[
        "edges"
    ]
    forth = api.get("/lineage", params={"id": f"ex:{name}.raw", "direction": "forth", "depth": "all"}).content
    assert product in element_ids(formats.loads(forth, "PROV-JSON"))
    svg = api.get("/lineage.svg", params={"id": product, "depth": "all"})
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg") or b"<svg" in svg.content[:200]
    assert f'data-id="ex:{name}.raw"'.encode() in svg.content
    assert "depth" in str(problem(api.get("/lineage", params={"id": product, "depth": "-1"}), 400)["detail"])
    problem(api.get("/lineage", params={"id": product, "direction": "sideways"}), 400)
    problem(api.get("/lineage"), 400)
    problem(api.get("/lineage.svg", params={"id": "ex:none"}), 404)


def test_impact_and_marking_for_reprocessing(served: tuple[Server, str], api: httpx.Client) -> None:
    name = tag()
    post(api, formats.dumps(chain_document(name, steps=2), "PROV-JSON"))
    impact = api.get("/impact", params={"id": f"ex:{name}.raw"}).json()
    assert impact["count"] == 4
    assert [i["id"] for i in impact["items"]] == [
        f"ex:{name}.product0",
        f"ex:{name}.product1",
        f"ex:{name}.step0",
        f"ex:{name}.step1",
    ]
    marked = api.post("/marks", json={"entity": f"ex:{name}.raw", "note": "bad calibration"})
    assert marked.status_code == 200 and marked.json()["marked"] == 4 and marked.json()["by"] == "alice"
    again = api.get("/impact", params={"id": f"ex:{name}.raw"}).json()
    assert all(item["marks"] == ["reprocess"] for item in again["items"])
    problem(api.post("/marks", json={}), 400)
    problem(api.post("/marks", json={"entity": "ex:missing"}), 404)
    problem(api.post("/marks", content=b"not json", headers={"Content-Type": "application/json"}), 400)
    _server, url = served
    with open_archive(url) as archive:  # the store sees the marks, with the caller's name
        mine = [m for m in archive.marks("reprocess") if str(m["record_id"]).startswith(f"ex:{name}.")]
    assert len(mine) == 4 and {m["marked_by"] for m in mine} == {"alice"}


def test_search_pages_with_stable_cursors(api: httpx.Client) -> None:
    name = tag()
    for part in range(3):
        post(api, formats.dumps(chain_document(f"{name}{part}", steps=3), "PROV-JSON"))
    expected = api.get("/search", params={"location": f"file:///{name}*", "limit": 1000}).json()
    assert len(expected["items"]) == 9 and expected["next_cursor"] is None
    seen: list[str] = []
    page = api.get("/search", params={"location": f"file:///{name}*", "limit": 2}).json()
    while True:
        seen += [item["id"] for item in page["items"]]
        if page["next"] is None:
            break
        post(api, formats.dumps(chain_document(f"{name}x{len(seen)}"), "PROV-JSON"))  # writes between pages
        page = api.get(page["next"]).json()
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert set(seen) >= {item["id"] for item in expected["items"]}
    cursor = api.get("/search", params={"location": f"file:///{name}*", "limit": 2}).json()["next_cursor"]
    assert "another search" in str(problem(api.get("/search", params={"cursor": cursor}), 400)["detail"])
    problem(api.get("/search", params={"cursor": "garbage!"}), 400)
    problem(api.get("/search", params={"since": "yesterday"}), 400)
    problem(api.get("/search", params={"kind": "activity", "hash": "x"}), 400)
    problem(api.get("/search", params={"limit": 0}), 400)
    activities = api.get("/search", params={"kind": "activity", "parameter": "threshold", "value": "3"}).json()
    assert {f"ex:{name}{p}.step2" for p in range(3)} <= {item["id"] for item in activities["items"]}


def test_stats_count_the_archive(served: tuple[Server, str], api: httpx.Client) -> None:
    post(api, formats.dumps(chain_document(tag()), "PROV-JSON"))
    stats = api.get("/stats").json()
    _server, url = served
    with open_archive(url) as archive:
        direct = archive.stats()
    assert stats["tables"] == direct
    assert stats["records"] == direct["entity"] + direct["activity"] + direct["agent"]
    assert stats["relations"] >= direct["used"] + direct["wasgeneratedby"] > 0


def test_openapi_documents_the_archive_api(served: tuple[Server, str]) -> None:
    server, _url = served
    schema = httpx.get(f"{server.url}/openapi.json").json()
    paths = {p for p in schema["paths"] if p.startswith("/archive")}
    assert paths == {
        "/archive/documents",
        "/archive/records/{record_id}",
        "/archive/lineage",
        "/archive/lineage.svg",
        "/archive/impact",
        "/archive/marks",
        "/archive/search",
        "/archive/stats",
    }
    assert "IngestAnswer" in schema["components"]["schemas"]


def test_ingest_of_a_large_document_over_http(api: httpx.Client) -> None:
    """Past the in-memory threshold the body is spooled to disk; the document arrives whole."""
    from provarchive.examples import pipeline

    body = formats.dumps(pipeline(12_000), "PROV-N")
    assert len(body) > 1024 * 1024  # over SPOOL_IN_MEMORY_BYTES
    answer = post(api, body, headers={"Content-Type": "text/provenance-notation"})
    assert answer.status_code in (200, 201), answer.text
    assert answer.json()["total_added"] + answer.json()["unchanged"] > 1000


def test_a_lost_database_is_answered_503_and_the_service_recovers(fresh_postgres_url: str, tmp_path: Path) -> None:
    """PostgreSQL refuses connections for a while: 503 problems (the uploader retries those), then service again."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = fresh_postgres_url.rsplit("/", 1)[1]
    with running(tmp_path, fresh_postgres_url) as server, httpx.Client(base_url=f"{server.url}/archive") as api:
        body = formats.dumps(chain_document(tag()), "PROV-JSON")
        assert api.get("/stats").status_code == 200
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            try:
                down = [api.get("/stats"), api.post("/documents", content=body)]
                for response in down:
                    assert "unavailable" in str(problem(response, 503)["detail"])
                    assert response.headers["retry-after"] == "5"
            finally:
                admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        assert api.post("/documents", content=body).status_code == 201
        assert api.get("/stats").json()["tables"]["entity"] == 3
