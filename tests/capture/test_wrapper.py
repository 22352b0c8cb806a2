"""``provarchive run``: exit status, no shell, outputs, nesting of Python steps, archive delivery."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provarchive import formats
from provarchive.capture.spool import compile_spool
from provarchive.capture.wrapper import main, split_role
from provarchive.model import Document, HadMember, Parameter

PROVARCHIVE = [sys.executable, "-c", "import sys; from provarchive.cli import main; sys.exit(main())"]


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PROVARCHIVE, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


def _only_activity(doc: Document, name: str):
    (act,) = [a for a in doc.activities if a.name == name]
    return act


def test_exit_status_is_the_commands(tmp_path: Path) -> None:
    assert main(["--spool", str(tmp_path / "a.jsonl"), "--", "true"]) == 0
    assert main(["--spool", str(tmp_path / "b.jsonl"), "--", "sh", "-c", "exit 7"]) == 7
    assert main(["--spool", str(tmp_path / "c.jsonl"), "-q", "--", "no-such-command-xyz"]) == 127
    assert main(["--spool", str(tmp_path / "d.jsonl"), "--", "sh", "-c", "kill -9 $$"]) == 128 + 9
    failed = _only_activity(compile_spool(tmp_path / "b.jsonl"), "sh")
    assert (failed.attribute("pa:status"), failed.attribute("pa:exitCode")) == ("failed", 7)
    missing = compile_spool(tmp_path / "c.jsonl").activities[0]
    assert missing.attribute("pa:exitCode") == 127 and "cannot run" in missing.attribute("pa:error")
    killed = _only_activity(compile_spool(tmp_path / "d.jsonl"), "sh")
    assert (killed.attribute("pa:status"), killed.attribute("pa:signal")) == ("killed", 9)


def test_arguments_never_pass_through_a_shell(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    hostile = f"x; touch {canary} | $(touch {canary}) `touch {canary}` && echo *"
    out = tmp_path / "out.txt"
    code = main(["--spool", str(tmp_path / "s.jsonl"), "--capture-output", "--", "printf", "%s", hostile])
    assert code == 0
    assert not canary.exists()
    doc = compile_spool(tmp_path / "s.jsonl")
    act = _only_activity(doc, "printf")
    assert act.attribute("pa:command") == f"printf %s {hostile}"
    stdout = [r for r in doc.relations if type(r).__name__ == "WasGeneratedBy" and r.role == "stdout"]
    assert Path(doc[stdout[0].entity].location).read_text() == hostile
    del out


def test_declared_inputs_outputs_parameters_and_changed_files(tmp_path: Path) -> None:
    (tmp_path / "raw.txt").write_text("raw")
    outdir = tmp_path / "products"
    outdir.mkdir()
    (outdir / "old.txt").write_text("unchanged")
    (outdir / "rewritten.txt").write_text("v1")
    os.utime(outdir / "rewritten.txt", ns=(1_000_000_000, 1_000_000_000))
    script = "import sys; open('products/new.txt','w').write('n'); open('products/rewritten.txt','w').write('v2')"
    result = run_cli(
        "run", "--used", "raw.txt:raw events", "--generated", "products:dl1", "--param", "gain=2.5",
        "--param", "db_password=hunter2", "-o", "prov.json", "--", sys.executable, "-c", script,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    doc = formats.read(tmp_path / "prov.json")
    act = doc.activities[0]
    (used,) = [r for r in doc.relations if type(r).__name__ == "Used" and r.role == "raw events"]
    assert doc[used.entity].location == str(tmp_path / "raw.txt")
    (gen,) = [r for r in doc.relations if type(r).__name__ == "WasGeneratedBy" and r.role == "dl1"]
    members = {doc[m.entity].name for m in doc.of_type(HadMember) if m.collection == gen.entity}
    assert members == {"new.txt", "rewritten.txt"}  # old.txt did not change
    params = {p.name: p.value for p in doc.of_type(Parameter)}
    assert params == {"gain": "2.5", "db_password": "***"}
    assert act.attribute("pa:exitCode") == 0
    assert "hunter2" not in (tmp_path / "prov.json").read_text()


def test_python_steps_inside_the_command_nest_under_it(tmp_path: Path) -> None:
    step = "from provarchive.capture import activity\nwith activity('inner-step') as a:\n    a.parameter('n', 3)\n"
    (tmp_path / "step.py").write_text(step)
    spool = tmp_path / "s.jsonl"
    result = run_cli("run", "--spool", str(spool), "--", sys.executable, "step.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    doc = compile_spool(spool)
    outer = [a for a in doc.activities if a.name != "inner-step"][0]
    inner = _only_activity(doc, "inner-step")
    assert str(inner.attribute("pa:parent")) == outer.id


def test_unreachable_archive_keeps_the_spool_and_the_exit_status(tmp_path: Path) -> None:
    spool = tmp_path / "s.jsonl"
    result = run_cli(
        "run", "--spool", str(spool), "--archive", "/proc/no/such/dir/archive.db", "--", "sh", "-c", "exit 3",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 3
    assert "spool kept" in result.stderr
    assert spool.is_file() and compile_spool(spool).activities
    secret = "s3cr3t-in-url"
    http = run_cli(
        "run", "--spool", str(spool), "--archive", f"http://me:{secret}@127.0.0.1:9/", "--", "true", cwd=tmp_path
    )  # fmt: skip
    assert http.returncode == 0 and "spool kept" in http.stderr
    assert secret not in http.stderr and secret not in spool.read_text()


def test_archive_delivery_from_the_wrapper(tmp_path: Path) -> None:
    pytest.importorskip("provarchive.store")
    from provarchive.store import open_archive

    archive = tmp_path / "archive.db"
    spool = tmp_path / "s.jsonl"
    result = run_cli("run", "--spool", str(spool), "--archive", str(archive), "--", "true", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    store = open_archive(str(archive))
    try:
        again = store.ingest(compile_spool(spool))
    finally:
        store.close()
    assert again.total_added == 0 and again.unchanged > 0


def test_usage_errors() -> None:
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["--param", "novalue", "--", "true"])


def test_split_role(tmp_path: Path) -> None:
    assert split_role("a.fits:raw") == ("a.fits", "raw")
    assert split_role("a.fits") == ("a.fits", None)
    weird = tmp_path / "odd:name"
    weird.write_text("x")
    assert split_role(str(weird)) == (str(weird), None)


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--used", "a.fits:raw", "--used=b.fits", "--generated", "out", "--param", "k=v", "-q"],
        ["-o", "prov.json", "--format", "PROV-N", "--hash", "stat", "--capture-output", "--git"],
        ["--archive=archive.db", "--spool", "s.jsonl", "--name", "calib", "--description", "ex:desc"],
        ["--config", "c.yaml", "--config", "d.yaml", "--quiet"],
    ],
)
def test_fast_parser_agrees_with_argparse(options: list[str]) -> None:
    from provarchive.capture.wrapper import build_parser, fast_parse

    fast = fast_parse(options)
    assert fast is not None
    slow = build_parser().parse_args(options)
    assert vars(fast) == vars(slow)


@pytest.mark.parametrize(
    "options",
    [["--help"], ["--gen", "x"], ["--used"], ["--hash", "sometimes"], ["-o", "a", "--archive", "b"], ["-qo", "x"]],
)
def test_fast_parser_defers_anything_unusual_to_argparse(options: list[str]) -> None:
    from provarchive.capture.wrapper import fast_parse

    assert fast_parse(options) is None
