"""The Report and Issue API that the CLI, the web service and the archive rely on."""

from __future__ import annotations

import json

import pytest

from provarchive.model import Activity, Document, Used
from provarchive.validation import Issue, Report, validate


def test_issue_fields_and_code() -> None:
    issue = Issue("W3C-C55 entity-activity-disjoint", "error", "ex:x is both", ("ex:x",))
    assert issue.code == "W3C-C55"
    assert issue.to_dict() == {
        "rule": "W3C-C55 entity-activity-disjoint",
        "severity": "error",
        "message": "ex:x is both",
        "records": ["ex:x"],
    }
    with pytest.raises(ValueError, match="severity"):
        Issue("X", "fatal", "no")  # type: ignore[arg-type]


def test_report_valid_errors_warnings() -> None:
    warning = Issue("IVOA-12 recommended vocabulary", "warning", "w", ("a",))
    error = Issue("IVOA-1 mandatory attribute", "error", "e", ("b",))
    assert Report([warning]).valid
    report = Report([warning, error], "ivoa")
    assert not report.valid
    assert report.errors == [error] and report.warnings == [warning]
    assert report.by_rule() == {"IVOA-12 recommended vocabulary": 1, "IVOA-1 mandatory attribute": 1}
    data = json.loads(json.dumps(report.to_dict()))
    assert data["valid"] is False and data["errors"] == 1 and data["warnings"] == 1
    assert data["issues"][1]["records"] == ["b"]


def test_format_text_lists_errors_first_and_can_be_capped() -> None:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.add(Activity("ex:x"))
    doc.add(Activity("ex:a"))
    doc.add(Used("ex:a", "ex:x", id="ex:u"))
    text = validate(doc, rules="w3c").format_text()
    first, second = text.splitlines()[:2]
    assert first.startswith("INVALID: 1 error(s)")
    assert "W3C-C55" in second and "records: ex:x" in second
    capped = Report([Issue("R", "warning", str(i)) for i in range(5)]).format_text(limit=2)
    assert capped.splitlines()[-1] == "  ... 3 more issue(s) not shown"
