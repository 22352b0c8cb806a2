"""``stilts taplint``, the VO community's TAP validator, against a real server: 0 errors, 0 warnings.

All stages run except LOC (no ObsLocTAP table) and OBS (no ObsCore table); UPL runs, as
the service declares uploads. taplint exits 0 even when it reports errors, so the
report (``format=json``) is parsed. One run per backend (about 10-20 s each).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from tests.conftest import require_command
from tests.web.conftest import Server
from tests.web.test_tap_service import tap_server  # noqa: F401  (the fixture: one server per backend)


@pytest.fixture(scope="module")
def stilts() -> Iterator[str]:
    yield require_command("stilts")


def test_taplint_reports_no_errors_and_no_warnings(tap_server: Server, stilts: str) -> None:  # noqa: F811
    done = subprocess.run(
        [stilts, "taplint", f"tapurl={tap_server.url}/tap", "stages=-LOC -OBS", "report=EWF", "maxrepeat=99",
         "truncate=400", "format=json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads(done.stdout)
    problems = [
        f"{level[0]}-{section['code']}-{item['code']}: {item['text']}"
        for section in report["sections"]
        for item in section["reports"]
        for level in [item["level"]]
        if level in ("ERROR", "WARNING", "FAILURE")
    ]
    assert problems == [], "\n".join(problems)
    assert report["totals"].get("ERROR", 0) == 0 and report["totals"].get("WARNING", 0) == 0
    ran = {section["code"] for section in report["sections"]}
    assert {"TMV", "TME", "TMS", "TMC", "CPV", "CAP", "AVV", "QGE", "QPO", "QAS", "UWS", "MDQ", "UPL", "EXA"} <= ran
