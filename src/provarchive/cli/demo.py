"""The end-to-end demonstration behind ``provarchive demo`` (and ``make run``).

It exercises the document layers the way a user would: build two documents (one with
a record of every ProvDM class, one CTA-like pipeline), write each in every format,
read every file back and compare it with the original statement by statement,
validate both, draw both, and print what happened and where the files are. A format
whose module is not installed is reported as such instead of stopping the tour.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..examples import kitchen_sink, pipeline
from ..formats import FORMATS, Format, read, write
from ..model import Document, differences

__all__ = ["run_demo", "Outcome", "PIPELINE_RECORDS"]

#: Size of the pipeline example: about 190 nodes, a picture that is still readable.
PIPELINE_RECORDS = 500


@dataclass
class Outcome:
    """What happened to one document in one format."""

    document: str
    format: str
    path: Path | None
    status: str
    ok: bool
    write_ms: float = 0.0
    read_ms: float = 0.0


def run_demo(directory: Path, console: Console | None = None) -> bool:
    """Run the demonstration into ``directory``; True when every available step succeeded."""
    console = console or Console(highlight=False)
    directory.mkdir(parents=True, exist_ok=True)
    documents = {"kitchen-sink": kitchen_sink(), "pipeline": pipeline(PIPELINE_RECORDS)}
    console.print(
        f"[bold]provarchive demo[/bold]: {len(documents)} documents "
        f"({', '.join(f'{name} {doc.count()} records' for name, doc in documents.items())}) into {directory}/"
    )
    outcomes = [
        round_trip(name, doc, fmt, directory) for name, doc in documents.items() for fmt in FORMATS if fmt.readable
    ]
    outcomes += [draw(name, doc, directory) for name, doc in documents.items()]
    table = Table(title="formats: write, read back, compare", title_justify="left")
    for column in ("document", "format", "file", "size", "write ms", "read ms", "result"):
        table.add_column(column, justify="right" if column in ("size", "write ms", "read ms") else "left")
    for outcome in outcomes:
        size = f"{outcome.path.stat().st_size:,}" if outcome.path and outcome.path.exists() else ""
        colour = "green" if outcome.ok and outcome.path else ("yellow" if outcome.ok else "red")
        table.add_row(
            outcome.document,
            outcome.format,
            outcome.path.name if outcome.path else "",
            size,
            f"{outcome.write_ms:.1f}" if outcome.path else "",
            f"{outcome.read_ms:.1f}" if outcome.read_ms else "",
            f"[{colour}]{outcome.status}[/{colour}]",
        )
    console.print(table)
    validated = [validate(name, doc, console) for name, doc in documents.items()]
    ok = all(outcome.ok for outcome in outcomes) and all(validated)
    missing = sorted({o.format for o in outcomes if o.path is None and o.ok})
    if missing:
        console.print(f"[yellow]not available in this installation: {', '.join(missing)}[/yellow]")
    verdict = "[green]demo complete[/green]" if ok else "[red]demo finished with failures (see above)[/red]"
    console.print(f"{verdict}; files are in {directory.resolve()}")
    return ok


def round_trip(name: str, doc: Document, fmt: Format, directory: Path) -> Outcome:
    """Write ``doc`` in ``fmt``, read it back and compare."""
    path = directory / f"{name}{fmt.extensions[0]}"
    try:
        started = time.perf_counter()
        write(doc, path, fmt)
        written = time.perf_counter()
        back = read(path, fmt)
        done = time.perf_counter()
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("provarchive."):
            raise
        return Outcome(name, fmt.name, None, "not available", True)
    except Exception as exc:  # the demo reports every failure and carries on
        return Outcome(name, fmt.name, path if path.exists() else None, f"error: {type(exc).__name__}: {exc}", False)
    only_here, only_there = differences(doc, back)
    write_ms, read_ms = (written - started) * 1000, (done - written) * 1000
    if not only_here and not only_there:
        return Outcome(name, fmt.name, path, "same provenance", True, write_ms, read_ms)
    status = f"differs: {len(only_here)} statement(s) lost, {len(only_there)} added"
    return Outcome(name, fmt.name, path, status, False, write_ms, read_ms)


def draw(name: str, doc: Document, directory: Path) -> Outcome:
    """Draw ``doc`` as SVG (and DOT for Graphviz users)."""
    path = directory / f"{name}.svg"
    try:
        started = time.perf_counter()
        write(doc, path, "SVG")
        elapsed = (time.perf_counter() - started) * 1000
        write(doc, directory / f"{name}.dot", "DOT")
    except Exception as exc:  # reported, not raised: the rest of the demo is still useful
        return Outcome(name, "SVG", None, f"error: {type(exc).__name__}: {exc}", False)
    return Outcome(name, "SVG + DOT", path, "drawn", True, elapsed)


def validate(name: str, doc: Document, console: Console) -> bool:
    """Validate ``doc`` with every rule and print the verdict; False only when invalid."""
    try:
        from ..validation import validate as run_rules  # type: ignore[attr-defined]
    except ImportError:
        console.print(f"validation of {name}: [yellow]not available in this installation[/yellow]")
        return True
    report = run_rules(doc, rules="all")
    colour = "green" if report.valid else "red"
    console.print(
        f"validation of {name}: [{colour}]{'valid' if report.valid else 'INVALID'}[/{colour}] "
        f"({len(report.errors)} error(s), {len(report.warnings)} warning(s))"
    )
    for issue in report.issues[:10]:
        console.print(f"  {issue}", markup=False)
    return bool(report.valid)
