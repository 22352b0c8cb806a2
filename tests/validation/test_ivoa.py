"""IVOA ProvDM rules 1-12 on small documents built in code (valid and invalid for each rule)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from provarchive.examples import kitchen_sink
from provarchive.model import (
    Activity,
    Document,
    Parameter,
    ParameterDescription,
    WasAssociatedWith,
    WasConfiguredBy,
    WasGeneratedBy,
)
from provarchive.validation import Issue, validate
from provarchive.validation.ivoa import parse_multiplicity

T0 = datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)


def new_doc() -> Document:
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.use_voprov()
    return doc


def issues(doc: Document, code: str, severity: str = "error") -> list[Issue]:
    report = validate(doc, rules="ivoa")
    return [issue for issue in report.issues if issue.code == code and issue.severity == severity]


def described_activity(doc: Document, multiplicity: str = "1") -> tuple[Activity, object]:
    """An activity following a description with one input role 'raw' and one output role 'out'."""
    ad = doc.activity_description("ex:desc", name="calibrate", type="Calibration")
    ud = ad.usage("raw", multiplicity=multiplicity)
    ad.generation("out", multiplicity="0..1")
    act = doc.activity("ex:act", T0, T0 + timedelta(hours=1), description=ad)
    return act, ud


def test_kitchen_sink_is_valid() -> None:
    report = validate(kitchen_sink())
    assert report.valid, report.format_text()
    assert all(issue.code == "IVOA-12" for issue in report.warnings)


# ----------------------------------------------------------------------- rule 1


def test_mandatory_attributes() -> None:
    doc = new_doc()
    doc.agent("ex:bob")  # no name
    doc.dataset_description("ex:dd", name="raw")  # no contentType
    doc.value_entity("ex:v")  # no value
    found = {issue.message for issue in issues(doc, "IVOA-1")}
    assert "ex:bob has no Agent.name, which ProvDM requires" in found
    assert "ex:dd has no DatasetDescription.contentType, which ProvDM requires" in found
    assert any("ValueEntity.value" in message for message in found)


def test_mandatory_attribute_given_by_another_statement_about_the_same_id() -> None:
    doc = new_doc()
    doc.agent("ex:bob", name="Bob")
    doc.bundle("ex:b").agent("ex:bob", type="Person")
    assert issues(doc, "IVOA-1") == []


def test_agent_type_enumeration() -> None:
    doc = new_doc()
    agent = doc.agent("ex:bob", name="Bob")
    agent.type = "Individual"  # the 2018 name, set behind the constructor's back (as a lax reader might)
    [issue] = issues(doc, "IVOA-1")
    assert issue.rule == "IVOA-1 agent type" and "Individual" in issue.message


def test_association_needs_an_agent() -> None:
    doc = new_doc()
    doc.activity("ex:a")
    doc.add(WasAssociatedWith("ex:a", None, None))
    assert issues(doc, "IVOA-1")


# ------------------------------------------------------------------- rules 2-4


def test_one_generation_per_entity() -> None:
    doc = new_doc()
    doc.activity("ex:a1")
    doc.activity("ex:a2")
    entity = doc.entity("ex:e")
    entity.generated_by("ex:a1")
    assert issues(doc, "IVOA-2") == []
    entity.generated_by("ex:a2")
    [issue] = issues(doc, "IVOA-2")
    assert "ex:e" in issue.records and "ex:a1, ex:a2" in issue.message


def test_one_description_per_activity() -> None:
    doc = new_doc()
    doc.activity_description("ex:d1", name="one")
    doc.activity_description("ex:d2", name="two")
    act = doc.activity("ex:a", description="ex:d1")
    assert issues(doc, "IVOA-3") == []
    act.associated_with(None, plan="ex:d2")
    [issue] = issues(doc, "IVOA-3")
    assert set(issue.records) == {"ex:a", "ex:d1", "ex:d2"}


def test_usage_time_within_activity() -> None:
    doc = new_doc()
    act = doc.activity("ex:a", T0, T0 + timedelta(hours=1))
    doc.entity("ex:e")
    act.used("ex:e", time=T0 + timedelta(minutes=5), id="ex:ok")
    assert issues(doc, "IVOA-4") == []
    act.used("ex:e", time=T0 - timedelta(minutes=5), id="ex:early")
    [issue] = issues(doc, "IVOA-4")
    assert issue.records == ("ex:early", "ex:a") and "before activity ex:a starts" in issue.message


def test_generated_at_time_within_generating_activity() -> None:
    doc = new_doc()
    act = doc.activity("ex:a", T0, T0 + timedelta(hours=1))
    doc.entity("ex:e", generated_at_time=T0 + timedelta(hours=2)).generated_by(act)
    [issue] = issues(doc, "IVOA-4")
    assert "after activity ex:a ends" in issue.message and "ex:e" in issue.records


def test_activity_ending_before_it_starts() -> None:
    doc = new_doc()
    doc.activity("ex:a", T0, T0 - timedelta(seconds=1))
    assert issues(doc, "IVOA-4")


def test_all_rules_report_a_bad_usage_time_once_as_an_error() -> None:
    doc = new_doc()
    act = doc.activity("ex:a", T0, T0 + timedelta(hours=1))
    doc.entity("ex:e")
    act.used("ex:e", time=T0 - timedelta(minutes=5), id="ex:early")
    report = validate(doc)
    concerned = [issue for issue in report.issues if "ex:early" in issue.records]
    assert [issue.code for issue in concerned] == ["IVOA-4"]


# ------------------------------------------------------------------ rules 5-7, 11


def test_role_matches_linked_usage_description() -> None:
    doc = new_doc()
    act, ud = described_activity(doc)
    doc.entity("ex:e")
    act.used("ex:e", role="raw", usage_description=ud)
    assert issues(doc, "IVOA-5") == []
    doc2 = new_doc()
    act2, ud2 = described_activity(doc2)
    doc2.entity("ex:e")
    act2.used("ex:e", role="calibration", usage_description=ud2, id="ex:u")
    [issue] = issues(doc2, "IVOA-5")
    assert "'calibration'" in issue.message and "'raw'" in issue.message
    assert issue.records == ("ex:u", ud2.id)


def test_undescribed_role_is_a_warning() -> None:
    doc = new_doc()
    act, _ud = described_activity(doc, multiplicity="*")
    doc.entity("ex:e")
    act.used("ex:e", role="mystery")
    assert issues(doc, "IVOA-5") == []
    assert issues(doc, "IVOA-5", "warning")


def test_multiplicity_per_role() -> None:
    doc = new_doc()
    act, _ud = described_activity(doc, multiplicity="1")
    [issue] = issues(doc, "IVOA-6")  # nothing used with role raw
    assert "used 0 entities with role 'raw'" in issue.message
    doc.entity("ex:e1")
    act.used("ex:e1", role="raw")
    assert issues(doc, "IVOA-6") == []
    doc.entity("ex:e2")
    act.used("ex:e2", role="raw")
    assert issues(doc, "IVOA-6")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", (1, 1)), ("0..1", (0, 1)), ("*", (0, None)), ("n", (1, None)), ("2..5", (2, 5)), ("1..*", (1, None))],
)
def test_parse_multiplicity(text: str, expected: tuple[int, int | None]) -> None:
    assert parse_multiplicity(text) == expected


@pytest.mark.parametrize("text", ["", "many", "3..1", "..2"])
def test_parse_multiplicity_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="multiplicity"):
        parse_multiplicity(text)


def test_usage_description_belongs_to_the_activity_description() -> None:
    doc = new_doc()
    act, _ud = described_activity(doc, multiplicity="*")
    other = doc.activity_description("ex:other", name="other")
    foreign = other.usage("raw")
    doc.entity("ex:e")
    act.used("ex:e", role="raw", usage_description=foreign)
    [issue] = issues(doc, "IVOA-7")
    assert "ex:other" in issue.message and "ex:desc" in issue.message


def test_entity_description_expected_by_the_role() -> None:
    doc = new_doc()
    fits = doc.dataset_description("ex:fits", name="FITS", content_type="application/fits")
    hdf5 = doc.dataset_description("ex:hdf5", name="HDF5", content_type="application/x-hdf5")
    ad = doc.activity_description("ex:desc", name="calibrate")
    ud = ad.usage("raw", entity_descriptions=[fits])
    act = doc.activity("ex:act", description=ad)
    doc.dataset_entity("ex:good", description=fits)
    doc.dataset_entity("ex:bad", description=hdf5)
    act.used("ex:good", role="raw", usage_description=ud)
    assert issues(doc, "IVOA-11") == []
    act.used("ex:bad", role="raw", usage_description=ud)
    [issue] = issues(doc, "IVOA-11")
    assert "ex:hdf5" in issue.message and "ex:fits" in issue.message


# ------------------------------------------------------------------- rules 8-10


def test_parameter_name_matches_description() -> None:
    doc = new_doc()
    ad = doc.activity_description("ex:desc", name="calibrate")
    pd = ad.parameter("threshold", "float")
    act = doc.activity("ex:act", description=ad)
    act.parameter("threshold", 5.0, description=pd)
    assert issues(doc, "IVOA-8") == []
    act.parameter("treshold", 5.0, description=pd)
    [issue] = issues(doc, "IVOA-8")
    assert "'treshold'" in issue.message and "'threshold'" in issue.message


def test_configuration_artefact_type_matches_artefact() -> None:
    doc = new_doc()
    doc.activity("ex:act")
    doc.add(Parameter("ex:p", name="n", value="1"))
    doc.add(WasConfiguredBy("ex:act", "ex:p", artefact_type="Parameter"))
    assert issues(doc, "IVOA-8") == []
    doc.add(WasConfiguredBy("ex:act", "ex:p", artefact_type="ConfigFile"))
    [issue] = issues(doc, "IVOA-8")
    assert "ConfigFile" in issue.message and "Parameter" in issue.message
    doc.entity("ex:plain")
    doc.add(WasConfiguredBy("ex:act", "ex:plain", artefact_type="Parameter"))
    assert len(issues(doc, "IVOA-8")) == 2


def test_parameter_value_type_range_and_options() -> None:
    doc = new_doc()
    ad = doc.activity_description("ex:desc", name="calibrate")
    threshold = ad.parameter("threshold", "float", min="0", max="100")
    method = ad.parameter("method", "char", options=["tailcuts", "mars"])
    act = doc.activity("ex:act", description=ad)
    act.parameter("threshold", 6.5, description=threshold, id="ex:p1")
    act.parameter("method", "mars", description=method, id="ex:p2")
    assert issues(doc, "IVOA-9") == []
    act.parameter("threshold", "high", description=threshold, id="ex:p3")
    act.parameter("threshold", 150, description=threshold, id="ex:p4")
    act.parameter("method", "other", description=method, id="ex:p5")
    found = {issue.records[0]: issue.message for issue in issues(doc, "IVOA-9")}
    assert set(found) == {"ex:p3", "ex:p4", "ex:p5"}
    assert "not a floating-point number" in found["ex:p3"]
    assert "above the maximum 100" in found["ex:p4"]
    assert "not one of the options" in found["ex:p5"]


def test_value_entity_value_matches_value_description() -> None:
    doc = new_doc()
    vd = doc.value_description("ex:vd", name="position", value_type="double[2]")
    doc.value_entity("ex:ok", value="83.6 22.0", description=vd)
    assert issues(doc, "IVOA-9") == []
    doc.value_entity("ex:bad", value="83.6", description=vd)
    [issue] = issues(doc, "IVOA-9")
    assert issue.records == ("ex:bad", "ex:vd") and "arraysize 2" in issue.message


def test_unparseable_value_type_is_reported_on_the_description() -> None:
    doc = new_doc()
    doc.add(ParameterDescription("ex:pd", name="x", value_type="real"))
    [issue] = issues(doc, "IVOA-9")
    assert issue.records == ("ex:pd",) and "not a VOTable datatype" in issue.message


def test_dataset_entity_needs_a_dataset_description() -> None:
    doc = new_doc()
    vd = doc.value_description("ex:vd", name="gain", value_type="float")
    dd = doc.dataset_description("ex:dd", name="raw", content_type="application/fits")
    doc.dataset_entity("ex:ok", description=dd)
    assert issues(doc, "IVOA-10") == []
    doc.dataset_entity("ex:bad", description=vd)
    [issue] = issues(doc, "IVOA-10")
    assert "DatasetDescription" in issue.message and issue.records == ("ex:bad", "ex:vd")


# ----------------------------------------------------------------------- rule 12


def test_vocabularies_give_warnings_not_errors() -> None:
    doc = new_doc()
    act = doc.activity("ex:a")
    doc.agent("ex:bob", name="Bob", type="Person")
    act.associated_with("ex:bob", role="Operator")
    doc.activity_description("ex:d", name="x", type="Calibration")
    assert issues(doc, "IVOA-12", "warning") == []
    act.associated_with("ex:bob", role="Driver")
    doc.activity_description("ex:d2", name="y", type="Cooking")
    report = validate(doc, rules="ivoa")
    assert report.valid
    assert len([i for i in report.warnings if i.code == "IVOA-12"]) == 2


def test_w3c_only_rules_skip_ivoa_checks() -> None:
    doc = new_doc()
    doc.agent("ex:bob")
    assert validate(doc, rules="w3c").valid
    assert not validate(doc, rules="ivoa").valid


def test_unknown_rule_set_is_refused() -> None:
    with pytest.raises(ValueError, match="rules must be one of"):
        validate(new_doc(), rules="strict")


def test_generation_with_activity_in_the_document() -> None:
    doc = new_doc()
    doc.agent("ex:bob", name="Bob")
    doc.entity("ex:e")
    doc.add(WasGeneratedBy("ex:e", None))
    [issue] = issues(doc, "IVOA-1")
    assert "WasGeneratedBy.activity" in issue.message


def test_unreadable_multiplicity_is_reported_once_per_description() -> None:
    doc = new_doc()
    ad = doc.activity_description("ex:desc", name="calibrate")
    ad.usage("raw", multiplicity="a few")
    for i in range(3):
        doc.activity(f"ex:act{i}", description=ad)
    [issue] = issues(doc, "IVOA-6")
    assert issue.records == ("ex:desc_usage_raw",) and "'a few'" in issue.message


def test_issues_in_a_bundle_say_so() -> None:
    doc = new_doc()
    doc.bundle("ex:b1").agent("ex:nameless")
    [issue] = issues(doc, "IVOA-1")
    assert issue.message.startswith("in bundle ex:b1: ex:nameless has no Agent.name")
