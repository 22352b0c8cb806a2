"""The document commands: convert, validate, show, draw and demo, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from provarchive.cli.app import build_app
from provarchive.examples import kitchen_sink, pipeline
from provarchive.formats import read, write
from provarchive.model import Document, same_provenance

ROOT = Path(__file__).resolve().parents[2]
PROVARCHIVE = ROOT / ".venv" / "bin" / "provarchive"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def sink_json(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    write(kitchen_sink(), path)
    return path


def invoke(runner: CliRunner, *args: str, input: str | bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(build_app(), list(args), input=input)


def cli_binary() -> str:
    """The installed console script, or the same entry point through this interpreter."""
    return str(PROVARCHIVE) if PROVARCHIVE.exists() else ""


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [cli_binary()] if cli_binary() else [sys.executable, "-m", "provarchive.cli"]
    return subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


# --------------------------------------------------------------------------- convert


def test_convert_round_trip_through_xml(runner: CliRunner, sink_json: Path, tmp_path: Path) -> None:
    xml = tmp_path / "sink.provx"
    back = tmp_path / "back.json"
    result = invoke(runner, "convert", str(sink_json), str(xml))
    assert result.exit_code == 0, result.output
    assert "PROV-XML" in result.stderr
    assert invoke(runner, "convert", str(xml), str(back)).exit_code == 0
    assert same_provenance(read(back), kitchen_sink())


def test_convert_to_stdout_with_explicit_formats(runner: CliRunner, sink_json: Path) -> None:
    result = invoke(runner, "convert", str(sink_json), "-", "--to", "xml")
    assert result.exit_code == 0, result.output
    etree.fromstring(result.stdout.encode())  # a whole, well-formed PROV-XML document
    piped = invoke(runner, "convert", "-", "-", "--to", "PROV-JSON", input=sink_json.read_bytes())
    assert piped.exit_code == 0, piped.output
    assert "entity" in json.loads(piped.stdout)


def test_failed_conversion_leaves_no_output_file(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"entity": {"ex:a": {}},\n  "activity": [1, 2\n')
    out = tmp_path / "out.provx"
    result = invoke(runner, "convert", str(broken), str(out))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and str(broken) in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.json"]  # no temporary file left either


def test_existing_output_survives_a_failed_conversion(runner: CliRunner, sink_json: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("precious")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert invoke(runner, "convert", str(broken), str(out)).exit_code == 2
    assert out.read_text() == "precious"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["convert", "missing.json", "out.json"], "missing.json"),
        (["convert", "{sink}", "out.unknown"], "out.unknown"),
        (["convert", "{sink}", "out.json", "--to", "nonsense"], "unknown format 'nonsense'"),
        (["convert", "{sink}", "nodir/out.json"], "No such directory for the output file: nodir/out.json"),
        (["draw", "{sink}", "-o", "nodir/x.svg"], "nodir/x.svg"),
        (["draw", "missing.json"], "missing.json"),
        (["show", "missing.json"], "missing.json"),
    ],
)
def test_user_errors_are_one_line(
    runner: CliRunner, sink_json: Path, tmp_path: Path, args: list[str], expected: str, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(runner, *[a.replace("{sink}", str(sink_json)) for a in args])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ")
    assert expected in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.json").exists()


def test_real_subprocess_convert_and_error(sink_json: Path, tmp_path: Path) -> None:
    done = run_cli("convert", str(sink_json), "sink.provx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert same_provenance(read(tmp_path / "sink.provx"), kitchen_sink())
    bad = tmp_path / "bad.json"
    bad.write_text('{"entity": {"ex:e": {"prov:label": }}}')
    failed = run_cli("convert", str(bad), "x.provn", cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.startswith(f"error: {bad}:1:")  # file, line and column
    assert "Traceback" not in failed.stderr
    assert not (tmp_path / "x.provn").exists()


# -------------------------------------------------------------------------- validate


def invalid_document() -> Document:
    """One id that is both an entity and an activity: breaks W3C PROV-CONSTRAINTS (disjointness)."""
    doc = Document(namespaces={"ex": "http://example.org/"})
    doc.entity("ex:both")
    doc.activity("ex:both")
    return doc


def test_validate_exit_codes(runner: CliRunner, sink_json: Path, tmp_path: Path) -> None:
    valid = invoke(runner, "validate", str(sink_json))
    assert valid.exit_code == 0, valid.output
    assert "valid" in valid.stdout

    bad = tmp_path / "bad.json"
    write(invalid_document(), bad)
    invalid = invoke(runner, "validate", str(bad))
    assert invalid.exit_code == 1, invalid.output
    assert "INVALID" in invalid.stdout and "ex:both" in invalid.stdout

    as_json = invoke(runner, "validate", str(bad), "--format", "json", "--rules", "w3c")
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["valid"] is False and report["rules"] == "w3c" and report["issues"]

    garbage = tmp_path / "garbage.json"
    garbage.write_text("not a document")
    unreadable = invoke(runner, "validate", str(garbage))
    assert unreadable.exit_code == 2
    assert unreadable.stderr.startswith("error: ")
    assert invoke(runner, "validate", str(tmp_path / "nope.json")).exit_code == 2


def test_validate_rejects_unknown_rule_family(runner: CliRunner, sink_json: Path) -> None:
    result = invoke(runner, "validate", str(sink_json), "--rules", "everything")
    assert result.exit_code == 2
    assert "everything" in result.output


# ------------------------------------------------------------------------ show, draw


def test_show_summary_and_activity_table(runner: CliRunner, sink_json: Path) -> None:
    result = runner.invoke(build_app(), ["show", str(sink_json)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "DatasetEntity" in out and "Agent" in out and "ActivityDescription" in out
    assert "ex:calibrate-run042" in out and "ex:run042.dl0.fits (raw)" in out and "ex:run042.dl1 (dl1)" in out


def test_show_tree(runner: CliRunner, sink_json: Path) -> None:
    result = runner.invoke(build_app(), ["show", str(sink_json), "--tree"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    calibrate = next(i for i, line in enumerate(lines) if "ex:calibrate-run042" in line)
    assert "used ex:run042.dl0.fits (raw)" in lines[calibrate + 1]
    assert any("generated ex:run042.dl1 (dl1)" in line for line in lines[calibrate:])


def test_show_limits_long_documents(runner: CliRunner, tmp_path: Path) -> None:
    big = tmp_path / "pipeline.json"
    write(pipeline(300), big)
    result = runner.invoke(build_app(), ["show", str(big), "--limit", "3"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "(first 3 shown; --limit 0 for all)" in result.stdout
    assert "ex:calibrate0" in result.stdout and "ex:select0" in result.stdout
    assert "ex:calibrate1 " not in result.stdout
    everything = runner.invoke(build_app(), ["show", str(big), "-n", "0", "--tree"], env={"COLUMNS": "200"})
    assert "ex:calibrate1 " in everything.stdout and "first" not in everything.stdout


def test_draw_svg_dot_and_without_descriptions(runner: CliRunner, sink_json: Path, tmp_path: Path) -> None:
    svg = tmp_path / "graph.svg"
    assert invoke(runner, "draw", str(sink_json), "-o", str(svg)).exit_code == 0
    root = etree.parse(str(svg)).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b'class="node description"' in svg.read_bytes()

    bare = tmp_path / "bare.svg"
    assert invoke(runner, "draw", str(sink_json), "-o", str(bare), "--no-descriptions").exit_code == 0
    assert b'class="node description"' not in bare.read_bytes()

    dot = tmp_path / "graph.dot"
    assert invoke(runner, "draw", str(sink_json), "-o", str(dot)).exit_code == 0
    assert dot.read_text().startswith("digraph provenance {")

    piped = invoke(runner, "draw", str(sink_json), "-o", "-", "--format", "dot")
    assert piped.exit_code == 0 and piped.stdout.startswith("digraph")


def test_draw_default_output_name(runner: CliRunner, sink_json: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke(runner, "draw", str(sink_json)).exit_code == 0
    assert (tmp_path / "sink.svg").exists()


# ------------------------------------------------------------------------------ demo


def test_demo_writes_reads_validates_and_draws(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = run_cli("demo", "--output", str(out), cwd=tmp_path)
    assert "Traceback" not in done.stderr + done.stdout
    names = {p.name for p in out.iterdir()}
    for name in ("kitchen-sink", "pipeline"):
        # PROV-O: TriG for the kitchen sink (it has a bundle), Turtle for the pipeline
        rdf = ".trig" if name == "kitchen-sink" else ".ttl"
        for suffix in (".json", ".provx", ".provn", rdf, ".jsonld", ".vot", ".svg", ".dot"):
            assert f"{name}{suffix}" in names
        assert same_provenance(read(out / f"{name}.provn"), read(out / f"{name}.json"))
    assert "not available" not in done.stdout
    assert done.stdout.count("identical") == 12  # 6 formats x 2 documents
    assert "validation of pipeline: valid" in done.stdout
    assert done.returncode == 0, done.stdout + done.stderr
