"""Commands that work on provenance documents (files): convert, validate, show, draw, demo.

Each command parses its options, calls one library function (``formats.read``,
``formats.write``, ``validation.validate``, ``formats.graph``) and turns expected
errors into one ``error: ...`` line and an exit code (see :mod:`.common`). The
end-to-end demonstration lives in :mod:`.demo`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..formats import Format
from ..model import Document
from .common import EXIT_INVALID, EXIT_UNREADABLE, fail, user_errors

__all__ = ["register", "read_document", "write_document", "missing_formats"]

STDIO = "-"


class Rules(StrEnum):
    all = "all"
    w3c = "w3c"
    ivoa = "ivoa"


class ReportFormat(StrEnum):
    text = "text"
    json = "json"


class PictureFormat(StrEnum):
    svg = "svg"
    dot = "dot"


@contextmanager
def missing_formats(code: int = EXIT_UNREADABLE) -> Iterator[None]:
    """A format whose module is not installed is a user-facing error, not a traceback."""
    try:
        yield
    except ModuleNotFoundError as exc:
        name = exc.name or ""
        if not name.startswith("provarchive."):
            raise
        raise fail(f"{name.rsplit('.', 1)[-1]} support is not available in this installation", code) from None


def read_document(path: str, format: str | None = None) -> Document:
    """Read ``path`` (``-`` for standard input) in ``format`` or the detected one."""
    from ..formats import FormatError, detect_format, get_format, loads, read

    try:
        if path != STDIO:
            return read(path, format)
        data = sys.stdin.buffer.read()
        fmt = get_format(format) if format else detect_format(None, data[:4096])
        return loads(data, fmt)
    except FormatError as exc:
        if exc.source is None:  # e.g. format detection, which knows no file name
            exc.source = "<stdin>" if path == STDIO else path
        raise


def write_document(doc: Document, path: str | Path, format: str | Format | None = None, **options: Any) -> Format:
    """Write ``doc`` to ``path`` atomically; a ``.trig`` file gets PROV-O as TriG (bundles as named graphs).

    The registry's ``write`` has no way to pass the RDF syntax (its own ``format``
    parameter takes the name), so TriG is asked of the PROV-O module here.
    """
    from ..formats import get_format, write
    from ..util import atomic_write

    fmt = (format if isinstance(format, Format) else get_format(format)) if format else None
    folder = Path(path).parent
    if not folder.is_dir():
        raise FileNotFoundError(2, "No such directory for the output file", str(path))
    if Path(path).suffix.lower() == ".trig" and (fmt is None or fmt.name == "PROV-O"):
        fmt = get_format("PROV-O")
        data = fmt.load().dumps(doc, format="trig", **options)
        with atomic_write(path) as handle:
            handle.write(data)  # type: ignore[attr-defined]
        return fmt
    return write(doc, path, fmt, **options)


def convert(
    source: Annotated[str, typer.Argument(help="Input file, or - for standard input.", metavar="IN")],
    target: Annotated[str, typer.Argument(help="Output file, or - for standard output.", metavar="OUT")],
    from_format: Annotated[
        str | None, typer.Option("--from", "-f", help="Input format (default: detected from content and extension).")
    ] = None,
    to_format: Annotated[
        str | None,
        typer.Option("--to", "-t", help="Output format (default: from OUT's extension; PROV-JSON on stdout)."),
    ] = None,
) -> None:
    """Convert a provenance document between formats.

    Formats: PROV-JSON, PROV-XML, PROV-N, PROV-O (Turtle), PROV-JSONLD, PROV-VOTABLE; DOT and SVG as output.

    The output is written to a temporary file and renamed: a failed conversion leaves no partial file.

    Examples:

        provarchive convert run42.json run42.provn

        provarchive convert run42.xml - --to PROV-JSON | jq .

        cat run42.provn | provarchive convert - run42.ttl
    """
    from ..formats import dumps, get_format

    with user_errors(), missing_formats():
        doc = read_document(source, from_format)
        if target == STDIO:
            data = dumps(doc, get_format(to_format or "PROV-JSON"))
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
            return
        fmt = write_document(doc, target, to_format)
    typer.echo(f"wrote {target} ({fmt.name}, {doc.count()} records)", err=True)


def validate(
    file: Annotated[str, typer.Argument(help="Document to check, or - for standard input.")],
    rules: Annotated[Rules, typer.Option("--rules", "-r", help="Which rules to check.")] = Rules.all,
    output: Annotated[ReportFormat, typer.Option("--format", help="Report as text or JSON.")] = ReportFormat.text,
    input_format: Annotated[str | None, typer.Option("--from", "-f", help="Input format (default: detected).")] = None,
) -> None:
    """Check a document against the W3C PROV constraints and the IVOA ProvDM rules.

    Exit status: 0 valid (warnings allowed), 1 invalid, 2 unreadable.

    Examples:

        provarchive validate run42.json

        provarchive validate run42.provn --rules ivoa --format json
    """
    with user_errors(EXIT_UNREADABLE), missing_formats():
        doc = read_document(file, input_format)
    with missing_formats():
        from ..validation import validate as run_rules  # type: ignore[attr-defined]

    report = run_rules(doc, rules=rules.value)
    if output is ReportFormat.json:
        typer.echo(json.dumps({"file": file, **report.to_dict()}, indent=2))
    else:
        typer.echo(f"{file}: {report.format_text(limit=200)}")
    if not report.valid:
        raise typer.Exit(EXIT_INVALID)


def show(
    file: Annotated[str, typer.Argument(help="Document to summarise, or - for standard input.")],
    tree: Annotated[bool, typer.Option("--tree", help="Show each activity with what it used and generated.")] = False,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Show at most N activities (0: all).")] = 50,
    input_format: Annotated[str | None, typer.Option("--from", "-f", help="Input format (default: detected).")] = None,
) -> None:
    """Summarise a document: records per class, then its activities with inputs and outputs.

    Examples:

        provarchive show run42.json

        provarchive show run42.provn --tree

        provarchive show big-archive-dump.json --limit 0
    """
    from rich.console import Console
    from rich.table import Table
    from rich.tree import Tree

    from ..model import Activity, Used, WasGeneratedBy

    with user_errors(), missing_formats():
        doc = read_document(file, input_format)
    console = Console(highlight=False)
    counts = Counter(type(record).__name__ for _bundle, record in doc.all_records())
    console.print(f"[bold]{_escape(file)}[/bold]: {doc.count()} records, {len(doc.bundles)} bundle(s)")
    summary = Table()
    summary.add_column("class")
    summary.add_column("count", justify="right")
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        summary.add_row(name, str(count))
    console.print(summary)

    inputs: dict[str, list[str]] = {}
    outputs: dict[str, list[str]] = {}
    for _bundle, record in doc.all_records():
        if isinstance(record, Used) and record.activity:
            inputs.setdefault(record.activity, []).append(_with_role(record.entity, record.role))
        elif isinstance(record, WasGeneratedBy) and record.activity:
            outputs.setdefault(record.activity, []).append(_with_role(record.entity, record.role))
    activities = [record for _bundle, record in doc.all_records() if isinstance(record, Activity)]
    shown = activities[:limit] if limit else activities
    more = f" (first {len(shown)} shown; --limit 0 for all)" if len(shown) < len(activities) else ""
    if tree:
        root = Tree(f"[bold]{_escape(file)}[/bold]: {len(activities)} activities{more}")
        for act in shown:
            branch = root.add(f"[blue]{_escape(act.id)}[/blue] {_escape(act.name or '')}")
            for entity in inputs.get(act.id, []):
                branch.add(f"[red]used[/red] {_escape(entity)}")
            for entity in outputs.get(act.id, []):
                branch.add(f"[green]generated[/green] {_escape(entity)}")
        console.print(root)
        return
    console.print(f"{len(activities)} activities{more}")
    table = Table()
    table.add_column("activity", no_wrap=True)
    for column in ("name", "used", "generated"):
        table.add_column(column, overflow="fold")
    for act in shown:
        table.add_row(
            _escape(act.id),
            _escape(act.name or ""),
            _escape("\n".join(inputs.get(act.id, []))),
            _escape("\n".join(outputs.get(act.id, []))),
        )
    console.print(table)


def _with_role(ident: str, role: str | None) -> str:
    return f"{ident} ({role})" if role else ident


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def draw(
    file: Annotated[str, typer.Argument(help="Document to draw, or - for standard input.")],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Picture file (- for stdout; default: FILE with .svg).")
    ] = None,
    picture: Annotated[
        PictureFormat | None,
        typer.Option("--format", help="svg or dot (default: from the output extension, else svg)."),
    ] = None,
    descriptions: Annotated[
        bool, typer.Option("--descriptions/--no-descriptions", help="Show ActivityDescriptions and the like.")
    ] = True,
    parameters: Annotated[
        bool, typer.Option("--parameters/--no-parameters", help="Show Parameters and ConfigFiles.")
    ] = True,
    input_format: Annotated[str | None, typer.Option("--from", "-f", help="Input format (default: detected).")] = None,
) -> None:
    """Draw a document as an SVG picture (laid out in Python) or a Graphviz DOT file.

    Entities are yellow ellipses, activities blue boxes, agents orange houses.

    Descriptions, parameters and configuration files are grey-green notes.

    Causes are on the left; arrows point from effect to cause, as in W3C PROV.

    Examples:

        provarchive draw run42.json -o run42.svg

        provarchive draw run42.json -o run42.dot --no-descriptions

        provarchive draw run42.json -o - --format dot | dot -Tpng > run42.png
    """
    from ..formats import dumps, get_format

    with user_errors(), missing_formats():
        doc = read_document(file, input_format)
        if output is None:
            base = Path(file).with_suffix("").name if file != STDIO else "provenance"
            output = f"{base}.{picture.value if picture else 'svg'}"
        if picture is None:
            picture = PictureFormat.dot if Path(output).suffix.lower() in (".dot", ".gv") else PictureFormat.svg
        fmt = get_format(picture.value)
        options = {"descriptions": descriptions, "parameters": parameters}
        if output == STDIO:
            sys.stdout.buffer.write(dumps(doc, fmt, **options))
            sys.stdout.flush()
            return
        write_document(doc, output, fmt, **options)
    typer.echo(f"wrote {output} ({fmt.name})", err=True)


def demo(
    output: Annotated[Path, typer.Option("--output", "-o", help="Directory for the files written.")] = Path(
        "demo-output"
    ),
) -> None:
    """Run the end-to-end demonstration: build, write every format, read back, validate, draw.

    Builds a document using every ProvDM class and a CTA-like pipeline.

    Writes each in every format, reads every file back and compares it with the original.

    Validates both documents and draws them as SVG and DOT.

    Examples:

        provarchive demo

        provarchive demo --output /tmp/provarchive-demo
    """
    from .demo import run_demo

    with user_errors():
        ok = run_demo(output)
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the document commands to the ``provarchive`` application."""
    app.command("convert")(convert)
    app.command("validate")(validate)
    app.command("show")(show)
    app.command("draw")(draw)
    app.command("demo")(demo)
