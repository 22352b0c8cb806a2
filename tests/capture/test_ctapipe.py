"""ctapipe provenance logs: the real logs of the conformance corpus, appended runs, a live ctapipe."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from provarchive import formats
from provarchive.capture.ctapipe import CtapipeLogError, import_ctapipe_log, read_ctapipe_log
from provarchive.model import ConfigFile, Parameter, same_provenance
from tests.conftest import require_external

LOGS = [
    "ctapipe-0.7.0-pytest.provenance.log",
    "ctapipe-notebook-2017-03-07.provenance.json",
    "ctapipe-notebook-2017-09-27.provenance.json",
    "ctapipe-notebook-2018-05-17.provenance.json",
    "ctapipe-notebook-2023-02-09.provenance.json",
]


@pytest.mark.parametrize("name", LOGS)
def test_real_logs_import_and_round_trip(conformance: Path, name: str) -> None:
    path = conformance / "ctapipe-provenance" / name
    raw = read_ctapipe_log(path.read_text())
    doc = import_ctapipe_log(path)
    assert [a.name for a in doc.activities] == [r["activity_name"] for r in raw]
    n_inputs = sum(len(r.get("input") or []) for r in raw)
    used = [r for r in doc.relations if type(r).__name__ == "Used" and r.role != "software environment"]
    assert len(used) == n_inputs
    assert same_provenance(doc, formats.loads(formats.dumps(doc, "PROV-JSON"), "PROV-JSON"))
    assert same_provenance(doc, import_ctapipe_log(path))  # deterministic ids: re-import is identical


def test_tool_log_keeps_roles_config_and_system(conformance: Path) -> None:
    doc = import_ctapipe_log(conformance / "ctapipe-provenance" / "ctapipe-0.7.0-pytest.provenance.log")
    app = [a for a in doc.activities if a.name == "application"][0]
    assert app.id.startswith("pa:ctapipe-")
    params = {p.name for p in doc.of_type(Parameter)}
    assert params and all("." in name for name in params)
    assert app.attribute("pa:ctapipeVersion") == "0.7.0.post34+git92816b6"
    assert app.attribute("pa:host") == "dapmcw186"
    people = [a for a in doc.agents if a.type == "Person"]
    assert [p.name for p in people] == ["kkosack"]


def test_appended_runs_are_read_as_one_log(conformance: Path, tmp_path: Path) -> None:
    text = (conformance / "ctapipe-provenance" / "ctapipe-0.7.0-pytest.provenance.log").read_text()
    other = (conformance / "ctapipe-provenance" / "ctapipe-notebook-2023-02-09.provenance.json").read_text()
    appended = tmp_path / "tool.provenance.log"
    appended.write_text(text + other + "\n" + text)  # ctapipe#3058: arrays back to back, one run twice
    doc = import_ctapipe_log(appended)
    assert len(doc.activities) == 4 + 3  # the repeated run is the same activities


def test_not_a_ctapipe_log(tmp_path: Path) -> None:
    bad = tmp_path / "bad.log"
    bad.write_text('[{"name": "x"}]')
    with pytest.raises(CtapipeLogError, match="not a ctapipe activity"):
        import_ctapipe_log(bad)
    bad.write_text('[{"activity_name": "x"}\n  garbage')
    with pytest.raises(CtapipeLogError, match="line 2"):
        import_ctapipe_log(bad)


CTAPIPE_TOOL = """
from ctapipe.core import Tool, Provenance
from traitlets import Float

class Demo(Tool):
    name = "provarchive-demo"
    gain = Float(1.5).tag(config=True)
    def start(self):
        Provenance().add_input_file("input.txt", role="raw events")
        Provenance().add_output_file("output.txt", role="dl1")

Demo().run(argv=["--provenance-log", "demo.provenance.log", "--Demo.gain=2.5"])
"""


def test_live_ctapipe_log(tmp_path: Path) -> None:
    """Has a real ctapipe Tool write its log (run twice: appended), then imports it.

    ctapipe pins an older astropy than ours, so it lives in its own environment: set
    PROVARCHIVE_CTAPIPE_PYTHON to that interpreter (.ci/run builds one for CI).
    """
    python = os.environ.get("PROVARCHIVE_CTAPIPE_PYTHON", "")
    require_external("a Python with ctapipe", bool(python) and Path(python).is_file(), "set PROVARCHIVE_CTAPIPE_PYTHON")
    (tmp_path / "input.txt").write_text("x")
    for _ in range(2):
        done = subprocess.run([python, "-c", CTAPIPE_TOOL], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    doc = import_ctapipe_log(tmp_path / "demo.provenance.log")
    runs = [a for a in doc.activities if a.name == "provarchive-demo"]
    assert len(runs) == 2
    roles = {r.role for r in doc.relations if type(r).__name__ in ("Used", "WasGeneratedBy")}
    assert {"raw events", "dl1"} <= roles
    gains = {p.value for p in doc.of_type(Parameter) if p.name.endswith("Demo.gain")}
    assert gains == {"2.5"}
    assert all(r.attribute("pa:exitCode") == 0 for r in runs)
    assert not doc.of_type(ConfigFile)
