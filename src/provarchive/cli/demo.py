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
from rich.markup import escape
from rich.table import Table

from ..examples import kitchen_sink, pipeline
from ..formats import FORMATS, Format, read, write
from ..model import Document, differences
from .documents import write_document

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
    sizes = ", ".join(f"{name} {doc.count()} records" for name, doc in documents.items())
    console.print(f"[bold]provarchive demo[/bold] into {escape(str(directory))}/: {sizes}")
    outcomes = [
        round_trip(name, doc, fmt, directory) for name, doc in documents.items() for fmt in FORMATS if fmt.readable
    ]
    outcomes += [draw(name, doc, directory) for name, doc in documents.items()]
    console.print("every format: write, read back, compare with the original (times in ms)")
    table = Table()
    for column in ("file", "format", "bytes", "write", "read", "result"):
        table.add_column(column, justify="right" if column in ("bytes", "write", "read") else "left", no_wrap=True)
    problems: list[str] = []
    for outcome in outcomes:
        written = outcome.path is not None and outcome.path.exists()
        colour = "green" if outcome.ok and outcome.path else ("yellow" if outcome.ok else "red")
        status = outcome.status
        if status.startswith("error"):
            problems.append(f"{outcome.document} as {outcome.format}: {status}")
            status = "error (below)"
        table.add_row(
            outcome.path.name if outcome.path else f"{outcome.document} ({outcome.format})",
            outcome.format,
            f"{outcome.path.stat().st_size:,}" if written and outcome.path else "",
            f"{outcome.write_ms:.1f}" if written else "",
            f"{outcome.read_ms:.1f}" if outcome.read_ms else "",
            f"[{colour}]{escape(status)}[/{colour}]",
        )
    console.print(table)
    for problem in problems:
        console.print(f"[red]{escape(problem)}[/red]")
    validated = [validate(name, doc, console) for name, doc in documents.items()]
    ok = all(outcome.ok for outcome in outcomes) and all(validated)
    missing = sorted({o.format for o in outcomes if o.path is None and o.ok})
    if missing:
        console.print(f"[yellow]not available in this installation: {', '.join(missing)}[/yellow]")
    verdict = "[green]demo complete[/green]" if ok else "[red]demo finished with failures (see above)[/red]"
    console.print(f"{verdict}; files are in {escape(str(directory.resolve()))}")
    return ok


def round_trip(name: str, doc: Document, fmt: Format, directory: Path) -> Outcome:
    """Write ``doc`` in ``fmt``, read it back and compare."""
    # bundles need named graphs: PROV-O goes to TriG for documents that have them
    extension = ".trig" if fmt.name == "PROV-O" and doc.bundles else fmt.extensions[0]
    path = directory / f"{name}{extension}"
    try:
        started = time.perf_counter()
        write_document(doc, path, fmt)
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
        return Outcome(name, fmt.name, path, "identical", True, write_ms, read_ms)
    status = f"differs: {len(only_here)} lost, {len(only_there)} added"
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
    for issue in report.errors[:10]:
        console.print(f"  {issue}", markup=False)
    warnings: dict[str, int] = {}
    for issue in report.warnings:
        warnings[issue.rule] = warnings.get(issue.rule, 0) + 1
    for rule, count in warnings.items():
        console.print(f"  warning: {count} x {rule}", markup=False)
    return bool(report.valid)
