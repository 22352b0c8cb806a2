"""Query results as VOTable (TABLEDATA or BINARY2), CSV, TSV or JSON.

Each result column is described once (:class:`FieldInfo`): when it copies a published
column unchanged, its datatype, arraysize, xtype, unit, UCD and utype are the declared
ones from TAP_SCHEMA, so taplint's MDQ stage finds the FIELDs equal to the metadata;
computed columns get the type the translation inferred, or one read from the values.

The writers are hand-written rather than built on astropy's VOTable writer because a
TAP response is a flat table of a handful of types, and building astropy tables for
1000 rows cost more than the query itself. Every VOTable they produce is checked with
``stilts votlint`` in the tests.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..adql import ResultColumn
from .tap_schema import PublishedColumn, TapMetadata

__all__ = ["FieldInfo", "OutputFormat", "OUTPUT_FORMATS", "parse_format", "describe_fields", "write_result"]


@dataclass(frozen=True)
class OutputFormat:
    """A RESPONSEFORMAT the service writes: canonical name, MIME type, accepted spellings, TAPRegExt id."""

    name: str
    mime: str
    aliases: tuple[str, ...]
    ivo_id: str | None


OUTPUT_FORMATS: tuple[OutputFormat, ...] = (
    OutputFormat(
        "votable",
        "application/x-votable+xml",
        (
            "votable",
            "votable/td",
            "application/x-votable+xml",
            "text/xml",
            "application/x-votable+xml;serialization=tabledata",
        ),
        "ivo://ivoa.net/std/TAPRegExt#output-votable-td",
    ),
    OutputFormat(
        "votable/b2",
        "application/x-votable+xml;serialization=BINARY2",
        ("votable/b2", "votable/binary2", "application/x-votable+xml;serialization=binary2"),
        "ivo://ivoa.net/std/TAPRegExt#output-votable-binary2",
    ),
    OutputFormat("csv", "text/csv", ("csv", "text/csv", "text/csv;header=present"), None),
    OutputFormat("tsv", "text/tab-separated-values", ("tsv", "text/tab-separated-values"), None),
    OutputFormat("json", "application/json", ("json", "application/json"), None),
)


def parse_format(value: str | None) -> OutputFormat:
    """The output format named by RESPONSEFORMAT/FORMAT (case and spaces ignored); ValueError if unknown."""
    if value is None or not value.strip():
        return OUTPUT_FORMATS[0]
    key = value.replace(" ", "").lower()
    for fmt in OUTPUT_FORMATS:
        if key in fmt.aliases:
            return fmt
    known = ", ".join(f.name for f in OUTPUT_FORMATS)
    raise ValueError(f"RESPONSEFORMAT {value!r} is not supported; use one of {known} (or their MIME types)")


@dataclass(frozen=True)
class FieldInfo:
    """One FIELD of a result."""

    name: str
    datatype: str
    arraysize: str | None = None
    xtype: str | None = None
    unit: str | None = None
    ucd: str | None = None
    utype: str | None = None
    description: str | None = None


def _type_from_values(rows: Sequence[Sequence[Any]], index: int) -> tuple[str, str | None]:
    seen = {type(row[index]) for row in rows if row[index] is not None}
    if seen and seen <= {bool}:
        return "boolean", None
    if seen and seen <= {int}:
        return "long", None
    if seen and seen <= {int, float, Decimal}:
        return "double", None
    return "char", "*"


def describe_fields(
    columns: Sequence[ResultColumn],
    rows: Sequence[Sequence[Any]],
    metadata: TapMetadata,
    uploaded: Mapping[tuple[str, str], PublishedColumn] | None = None,
) -> list[FieldInfo]:
    """The FIELDs of a result: declared metadata for copied columns, inferred types otherwise.

    ``uploaded`` describes the columns of TAP_UPLOAD tables by ``(table, column)``: a
    column read back from an upload keeps the FIELD it was uploaded with.
    """
    fields = []
    for index, column in enumerate(columns):
        declared = metadata.column(column.table, column.column)
        if declared is None and uploaded and column.table and column.column:
            declared = uploaded.get((column.table, column.column))
        if declared is not None:
            fields.append(
                FieldInfo(
                    column.name,
                    declared.datatype,
                    declared.arraysize,
                    declared.xtype,
                    declared.unit,
                    declared.ucd,
                    declared.utype,
                    declared.description,
                )
            )
            continue
        datatype, arraysize, xtype = column.datatype, column.arraysize, column.xtype
        if datatype is None or (datatype == "long" and any(isinstance(r[index], float) for r in rows)):
            datatype, arraysize = _type_from_values(rows, index)
            xtype = None
        fields.append(FieldInfo(column.name, datatype, arraysize, xtype))
    return fields


# ------------------------------------------------------------------------- values


def _timestamp(value: Any) -> str:
    """DALI timestamp text (UTC, ``Z``) for a datetime or the ISO text SQLite stores."""
    if isinstance(value, str):
        if value.endswith("+00:00") and len(value) >= 25 and value[10] == "T":  # how SQLite stores UTC instants
            text = value[:-6]
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text + "Z"
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        text = value.strftime("%Y-%m-%dT%H:%M:%S")
        if value.microsecond:
            text += f".{value.microsecond:06d}".rstrip("0")
        return text + ("Z" if value.tzinfo is not None else "")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _converter(field: FieldInfo) -> Any:
    """A function turning a database value into the Python value written for this FIELD."""
    if field.xtype == "timestamp":
        return lambda v: None if v is None else _timestamp(v)
    if field.datatype in ("long", "int", "short"):
        return lambda v: None if v is None else int(v) if not isinstance(v, float) or math.isfinite(v) else None
    if field.datatype in ("double", "float"):
        return lambda v: None if v is None else float(v)
    if field.datatype == "boolean":
        return lambda v: None if v is None else bool(v)
    return lambda v: (
        None if v is None else v if isinstance(v, str) else _timestamp(v) if isinstance(v, (datetime, date)) else str(v)
    )


def _prepared(fields: Sequence[FieldInfo], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    converters = [_converter(f) for f in fields]
    return [[convert(value) for convert, value in zip(converters, row, strict=True)] for row in rows]


# ------------------------------------------------------------------------ VOTable


def _field_xml(field: FieldInfo) -> str:
    attributes = f"name={quoteattr(field.name)} datatype={quoteattr(field.datatype)}"
    for name in ("arraysize", "xtype", "unit", "ucd", "utype"):
        value = getattr(field, name)
        if value:
            attributes += f" {name}={quoteattr(value)}"
    description = f"<DESCRIPTION>{escape(field.description)}</DESCRIPTION>" if field.description else ""
    return f"<FIELD {attributes}>{description}</FIELD>" if description else f"<FIELD {attributes}/>"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return (
            repr(value) if math.isfinite(value) else ("NaN" if math.isnan(value) else ("+Inf" if value > 0 else "-Inf"))
        )
    return escape(_xml_safe(str(value)))


def _xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters stored in a record)."""
    if text.isprintable():
        return text
    return "".join(c for c in text if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))


def _char_text(value: str | None) -> str:
    """TD text of a prepared char value: the common case (printable, no markup) is returned as is."""
    if value is None:
        return ""
    if not value.isprintable():
        value = _xml_safe(value)
    return escape(value) if ("&" in value or "<" in value or ">" in value) else value


def _tabledata(fields: Sequence[FieldInfo], rows: list[list[Any]]) -> str:
    """TABLEDATA rows; one text function per column, chosen once (the per-cell cost is the writer's cost)."""
    writers = [_char_text if f.datatype == "char" else _text for f in fields]
    pairs = list(zip(writers, range(len(writers)), strict=True))
    return "".join(
        "<TR><TD>" + "</TD><TD>".join([write(row[index]) for write, index in pairs]) + "</TD></TR>\n" for row in rows
    )


_PACKERS = {"long": ">q", "int": ">i", "short": ">h", "double": ">d", "float": ">f"}


def _binary2(fields: Sequence[FieldInfo], rows: list[list[Any]]) -> str:
    """The BINARY2 stream: per row a null mask, then each value in big-endian VOTable encoding."""
    out = bytearray()
    mask_bytes = (len(fields) + 7) // 8
    kinds = [f.datatype for f in fields]
    widths = [
        int(f.arraysize) if f.arraysize and f.arraysize.isdigit() else 1 if not f.arraysize else None for f in fields
    ]
    for row in rows:
        mask = bytearray(mask_bytes)
        body = bytearray()
        for index, (kind, value) in enumerate(zip(kinds, row, strict=True)):
            if value is None:
                mask[index // 8] |= 0x80 >> (index % 8)
            if kind in _PACKERS:
                filler = 0.0 if kind in ("double", "float") else 0
                body += struct.pack(_PACKERS[kind], filler if value is None else value)
            elif kind == "boolean":
                body += b"?" if value is None else (b"T" if value else b"F")
            else:
                data = b"" if value is None else _xml_safe(str(value)).encode("utf-8")
                width = widths[index]
                if width is None:
                    body += struct.pack(">i", len(data)) + data
                else:  # a fixed arraysize: cut or pad with NULs
                    body += data[:width].ljust(width, b"\0")
        out += mask + body
    return base64.encodebytes(bytes(out)).decode("ascii")


def votable(
    fields: Sequence[FieldInfo],
    rows: list[list[Any]],
    *,
    overflow: bool,
    serialization: str = "TABLEDATA",
    infos: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A DALI result VOTable: QUERY_STATUS OK before the table, OVERFLOW after it when cut."""
    head = "".join(f"<INFO name={quoteattr(n)} value={quoteattr(_xml_safe(v))}/>" for n, v in infos)
    data = (
        f"<TABLEDATA>\n{_tabledata(fields, rows)}</TABLEDATA>"
        if serialization == "TABLEDATA"
        else f'<BINARY2><STREAM encoding="base64">\n{_binary2(fields, rows)}</STREAM></BINARY2>'
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<VOTABLE version="1.3" xmlns="http://www.ivoa.net/xml/VOTable/v1.3">\n'
        '<RESOURCE type="results">\n<INFO name="QUERY_STATUS" value="OK"/>\n'
        f"{head}<TABLE>\n"
        + "\n".join(_field_xml(f) for f in fields)
        + f"\n<DATA>{data}</DATA>\n</TABLE>\n"
        + ('<INFO name="QUERY_STATUS" value="OVERFLOW"/>\n' if overflow else "")
        + "</RESOURCE>\n</VOTABLE>\n"
    )
    return text.encode("utf-8")


# ------------------------------------------------------------------ CSV, TSV, JSON


def _delimited(fields: Sequence[FieldInfo], rows: list[list[Any]], delimiter: str) -> bytes:
    buffer = io.StringIO()
    if delimiter == ",":
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([f.name for f in fields])
        writer.writerows([["" if v is None else _text_plain(v) for v in row] for row in rows])
    else:  # TSV has no quoting: tabs and line breaks inside values become spaces
        buffer.write("\t".join(f.name for f in fields) + "\n")
        for row in rows:
            cells = (
                "" if v is None else _text_plain(v).replace("\t", " ").replace("\r", " ").replace("\n", " ")
                for v in row
            )
            buffer.write("\t".join(cells) + "\n")
    return buffer.getvalue().encode("utf-8")


def _text_plain(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _json(fields: Sequence[FieldInfo], rows: list[list[Any]], overflow: bool) -> bytes:
    meta = [{k: v for k, v in vars(f).items() if v is not None} for f in fields]
    safe = [[None if isinstance(v, float) and not math.isfinite(v) else v for v in row] for row in rows]
    document = {"metadata": meta, "data": safe, "status": "OVERFLOW" if overflow else "OK"}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def write_result(
    fmt: OutputFormat,
    fields: Sequence[FieldInfo],
    rows: Sequence[Sequence[Any]],
    *,
    overflow: bool,
    infos: Sequence[tuple[str, str]] = (),
) -> bytes:
    """The body of a query response in ``fmt``."""
    prepared = _prepared(fields, rows)
    if fmt.name == "votable":
        return votable(fields, prepared, overflow=overflow, infos=infos)
    if fmt.name == "votable/b2":
        return votable(fields, prepared, overflow=overflow, serialization="BINARY2", infos=infos)
    if fmt.name == "csv":
        return _delimited(fields, prepared, ",")
    if fmt.name == "tsv":
        return _delimited(fields, prepared, "\t")
    return _json(fields, prepared, overflow)
