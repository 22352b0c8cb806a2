"""The idempotency ledger of HTTP ingest: key → the answer given the first time.

A pipeline retries an upload when it did not hear the answer (a timeout, a dropped
connection). The store's ingest already adds nothing for a document it holds, but the
second answer would say "nothing added" where the first said what was added; clients
that count what they delivered need *the same* answer. So every successful ingest
stores its answer under the client's ``Idempotency-Key`` and under ``sha256:<digest>``
of the body, in a small table on the archive's engine (next to the job tables).

Two identical requests racing both ingest (harmlessly: the store adds each row once)
and both try to record their answer; the first row wins and both callers get it.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson
from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, Text, insert, select
from sqlalchemy.exc import IntegrityError

__all__ = ["IngestLedger", "KeyReused"]

_METADATA = MetaData()

ledger_table = Table(
    "archive_http_ingest",
    _METADATA,
    Column("key", String(300), primary_key=True),
    Column("sha256", String(64), nullable=False),
    Column("answer", Text, nullable=False),
    Column("caller", String(128), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)


class KeyReused(ValueError):
    """An Idempotency-Key already used for a different document."""


class IngestLedger:
    """Stored answers of successful ingests (see the module documentation)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._created = False
        self._lock = threading.Lock()

    def _ensure_table(self) -> None:
        """Create the table once, on first use from a worker thread (never on the event loop)."""
        if not self._created:
            with self._lock:
                if not self._created:
                    _METADATA.create_all(self.engine, checkfirst=True)
                    self._created = True

    def lookup(self, key: str, sha256: str) -> dict[str, Any] | None:
        """The stored answer for ``key``; KeyReused if it was given for another body."""
        self._ensure_table()
        with self.engine.connect() as conn:
            row = conn.execute(
                select(ledger_table.c.sha256, ledger_table.c.answer).where(ledger_table.c.key == key)
            ).first()
        if row is None:
            return None
        if row.sha256 != sha256:
            raise KeyReused(
                f"the Idempotency-Key {key!r} was already used for a different document "
                f"(sha256 {row.sha256}); use a new key for a new document"
            )
        answer: dict[str, Any] = orjson.loads(row.answer)
        return answer

    def record(self, keys: list[str], sha256: str, answer: dict[str, Any], caller: str | None) -> dict[str, Any]:
        """Store ``answer`` under each key not yet stored; the answer that is stored for ``keys[0]``."""
        self._ensure_table()
        body = orjson.dumps(answer).decode()
        now = int(time.time() * 1000)
        first_won = True
        for position, key in enumerate(dict.fromkeys(keys)):
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        insert(ledger_table).values(key=key, sha256=sha256, answer=body, caller=caller, created_ms=now)
                    )
            except IntegrityError:  # recorded by an earlier or concurrent identical request: that answer wins
                first_won = first_won and position > 0
        if first_won:
            return answer
        stored = self.lookup(keys[0], sha256)
        return stored if stored is not None else answer
