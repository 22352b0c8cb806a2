"""The blocking and streaming parts of ``POST /archive/documents`` (see :mod:`.archive_api`).

* :func:`receive_body` streams the request body into memory up to 1 MiB and into a
  temporary file past that, hashing it on the way and refusing it past the size limit;
* :func:`choose_format` picks the reader: ``?format=``, else the Content-Type, else the
  first bytes;
* :class:`IngestWork` does the rest in one worker thread: look the body up in the
  idempotency ledger, read and store it in one transaction, record the answer.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from ..formats import FORMATS, Format, FormatError, detect_format, get_format, loads
from .archive_ledger import IngestLedger, KeyReused
from .archive_models import IngestAnswer, ReadBack
from .problems import Problem

__all__ = ["IngestWork", "choose_format", "receive_body", "INGEST_BODY", "SPOOL_IN_MEMORY_BYTES"]

#: Bodies up to this size stay in memory; larger ones are spooled to a temporary file.
SPOOL_IN_MEMORY_BYTES = 1024 * 1024


_MEDIA_TYPES: dict[str, Format] = {f.media_type: f for f in FORMATS if f.readable}
_MEDIA_TYPES["text/xml"] = get_format("PROV-XML")
#: Content types that say nothing about the format: it is detected from the content.
_UNSPECIFIC = {"", "application/octet-stream", "text/plain", "application/x-www-form-urlencoded"}
INGEST_BODY = {
    "required": True,
    "description": "A provenance document: PROV-JSON, PROV-XML, PROV-N, PROV-O (Turtle), PROV-JSONLD or "
    "PROV-VOTABLE. The format comes from ?format=, else the Content-Type, else the first bytes.",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/provenance-notation": {"schema": {"type": "string"}},
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    },
}


def choose_format(requested: str | None, content_type: str, head: bytes) -> Format:
    """The format of the body: the parameter, else the Content-Type, else detection."""
    try:
        if requested:
            fmt = get_format(requested)
            if not fmt.readable:
                raise Problem(400, "bad-parameter", f"{fmt.name} is an output-only format; it cannot be ingested")
            return fmt
        media = content_type.split(";", 1)[0].strip().lower()
        if media in _MEDIA_TYPES and media != "application/json":
            return _MEDIA_TYPES[media]
        if media not in _UNSPECIFIC and media not in _MEDIA_TYPES and not media.endswith(("+json", "+xml")):
            raise Problem(
                415,
                "unsupported-media-type",
                f"cannot read a document sent as {media!r}; send a provenance format "
                f"({', '.join(sorted(_MEDIA_TYPES))}) or give ?format=",
            )
        return detect_format(head=head)
    except FormatError as exc:
        raise Problem(400, "bad-parameter", str(exc)) from None


async def receive_body(request: Request, limit: int) -> tuple[bytes, str]:
    """The whole body and its SHA-256, spooled to disk past 1 MiB; 413 over ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise Problem(413, "too-large", f"the document ({declared} bytes) exceeds the limit of {limit} bytes")
    digest = hashlib.sha256()
    size = 0
    upload_dir = getattr(request.app.state, "upload_dir", None)
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES, dir=upload_dir) as spool:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise Problem(413, "too-large", f"the document exceeds the limit of {limit} bytes")
            digest.update(chunk)
            spool.write(chunk)
        spool.seek(0)
        return spool.read(), digest.hexdigest()


def _ingest(archive: Any, data: bytes, fmt: Format, merge: bool, source: str) -> tuple[Any, str]:
    """Read and store the document (runs in a worker thread)."""
    from ..store import ConflictError, StoreError

    try:
        doc = loads(data, fmt)
    except FormatError as exc:
        where = f" (line {exc.line}, column {exc.column})" if exc.line is not None else ""
        raise Problem(
            400,
            "malformed-document",
            f"the document is not valid {exc.format or fmt.name}{where}: {exc.message}",
            format=exc.format or fmt.name,
            line=exc.line,
            column=exc.column,
        ) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "malformed-document", f"the document is not valid {fmt.name}: {exc}") from None
    try:
        return archive.ingest(doc, merge=merge, source=source), fmt.name
    except ConflictError as exc:
        raise Problem(
            409,
            "conflict",
            f"{exc} (send ?merge=true to complete the stored record instead)",
            record_id=exc.record_id,
        ) from None
    except StoreError as exc:
        from sqlalchemy.exc import OperationalError

        if isinstance(exc.__cause__, OperationalError):
            raise Problem(503, "archive-unavailable", "the archive database is unavailable; retry later") from None
        raise Problem(400, "invalid-document", str(exc)) from None


@dataclass
class IngestWork:
    """One ingest request's blocking part: ledger lookup, read and store, ledger record."""

    archive: Any
    ledger: IngestLedger
    keys: list[str]
    sha256: str
    fmt: Format
    merge: bool
    caller: str | None
    source: str
    base: str

    def run(self, data: bytes) -> dict[str, Any]:
        try:
            stored = self.ledger.lookup(self.keys[0], self.sha256)
        except KeyReused as exc:
            raise Problem(422, "idempotency-key-reused", str(exc)) from None
        if stored is not None:
            return {**stored, "replayed": True}
        result, format_name = _ingest(self.archive, data, self.fmt, self.merge, self.source)
        del data
        answer = IngestAnswer(
            status="added" if result.total_added else "unchanged",
            replayed=False,
            document_sha256=self.sha256,
            idempotency_key=self.keys[0],
            format=format_name,
            added={table: n for table, n in result.added.items() if n},
            total_added=result.total_added,
            unchanged=result.unchanged,
            merged=result.merged,
            ids=list(result.ids),
            read_back=ReadBack(
                record=f"{self.base}/archive/records/{{id}}", lineage=f"{self.base}/archive/lineage?id={{id}}"
            ),
        ).model_dump()
        try:
            final = self.ledger.record(self.keys, self.sha256, answer, self.caller)
        except KeyReused as exc:  # a concurrent request took the key for another document
            raise Problem(422, "idempotency-key-reused", str(exc)) from None
        return {**final, "replayed": final != answer}  # a concurrent identical request recorded its answer first
