"""PROV-VOTABLE: round trips, table layout, STILTS votlint, bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lxml import etree

from provarchive.examples import pipeline
from provarchive.formats import FormatError, votable
from provarchive.model import Document, Literal, QName, differences

from ..conftest import require_command

VO = "{http://www.ivoa.net/xml/VOTable/v1.3}"


def class_names(doc: Document) -> list[str]:
    return sorted(type(r).__name__ for _b, r in doc.all_records())


def test_kitchen_sink_round_trip_keeps_every_class(doc: Document) -> None:
    back = votable.loads(votable.dumps(doc))
    assert differences(doc, back) == ([], [])
    assert class_names(back) == class_names(doc)
    assert set(back.bundles) == {"ex:bundle1"}


def test_layout_tables_utypes_ucds_and_status(doc: Document) -> None:
    root = etree.fromstring(votable.dumps(doc))
    (resource,) = root.iter(f"{VO}RESOURCE")
    assert resource.get("ID") == "provenance" and resource.get("type") == "results"
    status = [i for i in resource.iter(f"{VO}INFO") if i.get("name") == "QUERY_STATUS"]
    assert [i.get("value") for i in status] == ["OK"]
    tables = {t.get("name"): t for t in resource.iter(f"{VO}TABLE")}
    for name in [
        "entity",
        "activity",
        "agent",
        "used",
        "wasgeneratedby",
        "wasassociatedwith",
        "wasattributedto",
        "wasderivedfrom",
        "wasinformedby",
        "hadmember",
        "activitydescription",
        "usagedescription",
        "generationdescription",
        "entitydescription",
        "parameter",
        "parameterdescription",
        "configfile",
        "configfiledescription",
        "wasconfiguredby",
        "wasstartedby",
        "wasendedby",
        "wasinvalidatedby",
        "actedonbehalfof",
        "wasinfluencedby",
        "specializationof",
        "alternateof",
        "mentionof",
    ]:
        assert name in tables, name
    used = {f.get("name"): f for f in tables["used"].iter(f"{VO}FIELD")}
    assert used["role"].get("utype") == "voprov:Used.role"
    assert used["usageDescription"].get("utype") == "voprov:Used.usageDescription"
    activity = {f.get("name"): f for f in tables["activity"].iter(f"{VO}FIELD")}
    assert activity["startTime"].get("ucd") == "time.start" and activity["id"].get("ucd") == "meta.id;meta.main"
    assert tables["activity"].get("utype") == "voprov:Activity"
    assert not {"collection", "datasetentity", "valueentity", "datasetdescription"} & set(tables)
    entity = [f.get("name") for f in tables["entity"].iter(f"{VO}FIELD")]
    assert entity[:3] == ["id", "kind", "name"] and "value" in entity
    value = next(f for f in tables["entity"].iter(f"{VO}FIELD") if f.get("name") == "value")
    assert value.get("utype") == "voprov:ValueEntity.value"
    prefixes = {p.get("name"): p.get("value") for p in resource.iter(f"{VO}PARAM")}
    assert prefixes["xmlns:ex"] == "http://example.org/cta#"


def test_typed_extra_attributes_survive() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity(
        "ex:e",
        name="Öffnung – ünïcode",
        attributes=[
            ("ex:lang", Literal("bon", lang="fr")),
            ("prov:type", QName("ex:Thing")),
            ("prov:type", QName("ex:Other")),
            ("ex:n", 7),
            ("ex:x", 2.5),
            ("ex:ok", False),
        ],
    )
    back = votable.loads(votable.dumps(doc))
    assert differences(doc, back) == ([], [])


def votlint(path: Path) -> list[str]:
    stilts = require_command("stilts")
    result = subprocess.run([stilts, "votlint", str(path)], capture_output=True, text=True, timeout=120)
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if "ERROR" in line or "WARNING" in line or "Error" in line]


def test_votlint_accepts_what_we_write(doc: Document, tmp_path: Path) -> None:
    doc.entity("ex:unicode", name="Öffnung – ünïcode")
    path = tmp_path / "kitchen.vot"
    path.write_bytes(votable.dumps(doc))
    assert votlint(path) == []
    small = tmp_path / "pipeline.vot"
    small.write_bytes(votable.dumps(pipeline(300)))
    assert votlint(small) == []


def test_pipeline_round_trip() -> None:
    doc = pipeline(1500)
    assert differences(doc, votable.loads(votable.dumps(doc))) == ([], [])


def test_draft_resource_type_is_accepted(doc: Document) -> None:
    data = votable.dumps(doc).replace(b'type="results"', b'type="provenance"', 1)
    assert differences(doc, votable.loads(data)) == ([], [])


def test_bad_input_is_a_format_error() -> None:
    with pytest.raises(FormatError) as info:
        votable.loads(b"<VOTABLE><RESOURCE>\n<TABLE></RESOURCE></VOTABLE>")
    assert info.value.line == 2
    with pytest.raises(FormatError, match="no provenance RESOURCE"):
        votable.loads(
            b'<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"><RESOURCE type="results">'
            b"</RESOURCE></VOTABLE>"
        )


def test_bad_time_names_table_and_row(doc: Document) -> None:
    data = votable.dumps(doc).replace(b"2024-03-01T23:00:00Z", b"not a time", 1)
    with pytest.raises(FormatError, match=r"table activity, row \d+"):
        votable.loads(data)


def test_kind_must_name_a_class_of_the_table(doc: Document) -> None:
    data = votable.dumps(doc).replace(b"<TD>DatasetEntity</TD>", b"<TD>Activity</TD>", 1)
    with pytest.raises(FormatError, match=r"table entity, row \d+: kind 'Activity' is not one of Entity"):
        votable.loads(data)
