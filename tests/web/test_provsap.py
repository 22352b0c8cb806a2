"""ProvSAP over HTTP on SQLite and PostgreSQL: parameters, formats, directions, errors, VOSI."""

from __future__ import annotations

import httpx
import pytest

from provarchive.formats import loads
from tests.web.conftest import Server
from tests.web.test_tap_service import tap_server  # noqa: F401  (the fixture: one server per backend)


def provsap(server: Server, params: list[tuple[str, str]] | dict[str, str], method: str = "GET") -> httpx.Response:
    if method == "GET":
        return httpx.get(f"{server.url}/provsap", params=params, timeout=30)
    form: dict[str, list[str]] = {}
    for name, value in params if isinstance(params, list) else params.items():
        form.setdefault(name, []).append(value)
    return httpx.post(f"{server.url}/provsap", data=form, timeout=30)


def ids_of(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    doc = loads(response.content, "PROV-JSON")
    return {record.id for record in doc.records if getattr(record, "id", None)}


def test_default_is_one_step_back_in_prov_json(tap_server: Server) -> None:  # noqa: F811
    response = provsap(tap_server, {"ID": "ex:run0.dl3"})
    assert response.headers["content-type"].startswith("application/json")
    found = ids_of(response)
    assert {"ex:run0.dl3", "ex:select0", "ex:run0.dl2"} <= found
    assert "ex:run0.dl0" not in found


def test_depth_all_reaches_the_raw_data_and_the_calibration(tap_server: Server) -> None:  # noqa: F811
    found = ids_of(provsap(tap_server, {"ID": "ex:run0.dl3", "DEPTH": "ALL"}))
    assert {"ex:run0.dl0", "ex:calib0.fits", "ex:calibrate0", "ex:ctapipe"} <= found
    two = ids_of(provsap(tap_server, {"ID": "ex:run0.dl3", "DEPTH": "2"}))
    assert "ex:reconstruct0" in two and "ex:calibrate0" not in two


@pytest.mark.parametrize("direction", ["FORTH", "FORWARD", "forth"])
def test_forth_finds_what_a_calibration_file_contaminated(tap_server: Server, direction: str) -> None:  # noqa: F811
    found = ids_of(provsap(tap_server, {"id": "ex:calib0.fits", "direction": direction, "Depth": "ALL"}))
    assert {"ex:calibrate0", "ex:run0.dl1", "ex:run0.dl3"} <= found
    assert "ex:run0.dl0" not in found


def test_repeated_ids_post_and_agent_switch(tap_server: Server) -> None:  # noqa: F811
    both = ids_of(provsap(tap_server, [("ID", "ex:run0.dl3"), ("ID", "ex:run1.dl3")], method="POST"))
    assert {"ex:select0", "ex:select1"} <= both
    with_agents = ids_of(provsap(tap_server, {"ID": "ex:run0.dl2", "DEPTH": "1"}))
    without = ids_of(provsap(tap_server, {"ID": "ex:run0.dl2", "DEPTH": "1", "AGENT": "false"}))
    assert "ex:ctapipe" in with_agents and "ex:ctapipe" not in without
    assert ids_of(provsap(tap_server, {"ID": "ex:run0.dl2", "AGENTS": "no"})) == without
    assert ids_of(provsap(tap_server, {"ID": "ex:run0.dl2", "MODEL": "W3C", "MEMBERS": "true"}))


@pytest.mark.parametrize(
    ("name", "media_type", "marker"),
    [
        ("PROV-N", "text/provenance-notation", b"document"),
        ("PROV-XML", "application/xml", b"prov:document"),
        ("PROV-VOTABLE", "application/x-votable+xml", b"<VOTABLE"),
        ("PROV-RDF", "text/turtle", b"@prefix"),
        ("SVG", "image/svg+xml", b"<svg"),
        ("DOT", "text/vnd.graphviz", b"digraph"),
    ],
)
def test_response_formats(tap_server: Server, name: str, media_type: str, marker: bytes) -> None:  # noqa: F811
    response = provsap(tap_server, {"ID": "ex:run0.dl3", "RESPONSEFORMAT": name})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media_type)
    assert marker in response.content


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({}, 400, "ID is required"),
        ({"ID": "ex:run0.dl3", "DEPTH": "-1"}, 400, "DEPTH"),
        ({"ID": "ex:run0.dl3", "DEPTH": "lots"}, 400, "DEPTH"),
        ({"ID": "ex:run0.dl3", "DIRECTION": "SIDEWAYS"}, 400, "DIRECTION"),
        ({"ID": "ex:run0.dl3", "RESPONSEFORMAT": "PDF"}, 400, "RESPONSEFORMAT"),
        ({"ID": "ex:run0.dl3", "MODEL": "CDM"}, 400, "MODEL"),
        ({"ID": "ex:run0.dl3", "MEMBERS": "maybe"}, 400, "MEMBERS"),
        ({"ID": "ex:run0.dl3", "COLOUR": "red"}, 400, "COLOUR"),
        ({"ID": "ex:no-such-thing"}, 404, "ex:no-such-thing"),
    ],
)
def test_bad_requests_get_dali_errors(tap_server: Server, params: dict[str, str], status: int, words: str) -> None:  # noqa: F811
    response = provsap(tap_server, params)
    assert response.status_code == status
    assert b'<INFO name="QUERY_STATUS" value="ERROR">' in response.content
    assert words in response.text


def test_vosi_capabilities_and_availability(tap_server: Server) -> None:  # noqa: F811
    capabilities = httpx.get(f"{tap_server.url}/provsap/capabilities")
    assert capabilities.status_code == 200 and b"ivo://ivoa.net/std/ProvSAP" in capabilities.content
    availability = httpx.get(f"{tap_server.url}/provsap/availability")
    assert (
        b"<vosi:available>true</vosi:available>" in availability.content or b"available>true<" in availability.content
    )


def test_an_agent_id_gives_the_agent_and_what_it_is_responsible_for(tap_server: Server) -> None:  # noqa: F811
    response = provsap(tap_server, {"ID": "ex:ctapipe", "RESPONSEFORMAT": "PROV-N"})
    assert response.status_code == 200
    assert "agent(ex:ctapipe" in response.text and "wasAssociatedWith(ex:select0, ex:ctapipe" in response.text
