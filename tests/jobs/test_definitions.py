"""Job definitions: YAML and OPUS VOTable, validation of definitions and of parameter values."""

from __future__ import annotations

from pathlib import Path

import pytest

from provarchive.jobs.definitions import (
    DefinitionError,
    ParameterError,
    load_definition,
    render_command,
    validate_parameters,
)
from provarchive.jobs.opus import to_votable

DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "provarchive" / "jobs" / "examples"


@pytest.mark.parametrize("path", sorted(DATA.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_yaml_definitions_round_trip_through_yaml_and_votable(path: Path) -> None:
    definition = load_definition(path.read_bytes(), str(path))
    assert load_definition(definition.to_yaml()) == definition
    assert load_definition(to_votable(definition)) == definition


def test_opus_votable_definitions_import(conformance: Path) -> None:
    first = load_definition((conformance / "opus-jobdefs" / "test_activity_1_vot.xml").read_bytes())
    assert first.name == "test_activity_1" and first.version == "1"
    assert first.command == ("bash", "{script}") and "echo $text > $output" in (first.script or "")
    assert first.contact_email == "admin@opus" and first.execution_duration == 20
    assert [p.name for p in first.parameters] == ["text"] and first.parameters[0].default == "Hello World"
    assert [(o.role, o.pattern, o.content_type) for o in first.outputs] == [("output", "output.txt", "text/plain")]
    second = load_definition((conformance / "opus-jobdefs" / "test_activity_2_vot.xml").read_bytes())
    assert [(i.role, i.sources) for i in second.inputs] == [("input", ("upload", "url", "archive"))]
    assert load_definition(to_votable(second)) == second


def test_every_problem_of_a_definition_is_reported() -> None:
    text = """
name: "bad name"
version: ""
command: "rm -rf /"
parameters:
  - {name: PATH, datatype: int}
  - {name: phase, datatype: char}
  - {name: n, datatype: integer}
  - {name: lim, datatype: int, min: 5, max: 1, default: 9}
  - {name: choice, datatype: int, options: [1, two]}
inputs:
  - {role: data, multiplicity: "lots", sources: [ftp]}
outputs:
  - {role: out, pattern: ../escape.txt}
unexpected: 1
"""
    with pytest.raises(DefinitionError) as caught:
        load_definition(text, "bad.yaml")
    joined = "\n".join(caught.value.problems)
    for fragment in (
        "unknown key(s) unexpected",
        "name 'bad name'",
        "version '' must be set",
        "command must be a non-empty list",
        "parameter 'PATH': name would be passed as an environment variable",
        "parameter 'phase': name is reserved by UWS",
        "datatype 'integer' is not a VOTable datatype",
        "min 5 is larger than max 1",
        "default: 9 is above the maximum 1",
        "option: 'two' is not an integer",
        "multiplicity 'lots'",
        "sources must be among",
        "pattern '../escape.txt'",
    ):
        assert fragment in joined, fragment
    assert str(caught.value).startswith("bad.yaml: ")


def test_placeholders_must_name_something() -> None:
    with pytest.raises(DefinitionError, match=r"\{nosuch\}"):
        load_definition("name: x\nversion: '1'\ncommand: [echo, '{nosuch}']\n")
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_definition("name: [unclosed\n")
    with pytest.raises(DefinitionError, match="not well-formed XML"):
        load_definition("<VOTABLE><RESOURCE>")


def test_parameter_values_are_checked_and_canonicalised() -> None:
    definition = load_definition((DATA / "echo.yaml").read_bytes())
    values = validate_parameters(definition, {"COUNT": " 7 ", "flag": "Yes", "ratio": "1e-1", "Text": " keep spaces "})
    assert values["count"] == "7" and values["flag"] == "true" and values["ratio"] == "1e-1"
    assert values["text"] == " keep spaces "  # text is never trimmed
    assert values["mode"] == "fast" and "label" not in values  # defaults filled, optional left out
    with pytest.raises(ParameterError) as caught:
        validate_parameters(definition, {"count": "0", "big": "9" * 30, "small": "1.5", "level": "nan", "mode": "x"})
    assert len(caught.value.problems) == 5
    assert validate_parameters(definition, {"count": "3"}, complete=False) == {"count": "3"}


def test_required_parameters() -> None:
    definition = load_definition(
        "name: r\nversion: '1'\nparameters: [{name: a, datatype: int, required: true}]\ncommand: [echo, '{a}']\n"
    )
    with pytest.raises(ParameterError, match="'a' is required"):
        validate_parameters(definition, {})
    assert validate_parameters(definition, {}, complete=False) == {}


def test_render_command_substitutes_whole_values_and_drops_absent_ones() -> None:
    definition = load_definition(
        "name: r\nversion: '1'\nparameters: [{name: a}, {name: b}]\n"
        "inputs: [{role: files, multiplicity: '*'}]\n"
        "command: [prog, '--a={a}', '{b}', '{files}', '{python}']\n"
    )
    argv = render_command(definition, {"a": "x y; z", "files": ["f1", "f 2"]}, {"python": "/py"})
    assert argv == ["prog", "--a=x y; z", "f1", "f 2", "/py"]
