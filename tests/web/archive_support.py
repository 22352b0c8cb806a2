"""Helpers of the HTTP archive tests: small documents with unique ids, servers on a backend."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from provarchive.model import Document
from tests.web.conftest import PROVARCHIVE, Server, make_server

EX = "http://example.org/http-archive#"


def chain_document(tag: str, steps: int = 2) -> Document:
    """raw → step0 → product0 → step1 → product1 ... with ids ``ex:<tag>.*``, an agent and a parameter."""
    doc = Document(namespaces={"ex": EX})
    t0 = datetime(2025, 3, 1, tzinfo=timezone.utc)
    agent = doc.agent(f"ex:{tag}.pipeline", name="pipeline")
    previous = doc.entity(f"ex:{tag}.raw", name=f"{tag} raw", location=f"file:///data/{tag}/raw.fits")
    for step in range(steps):
        start = t0 + timedelta(minutes=10 * step)
        activity = doc.activity(f"ex:{tag}.step{step}", start, start + timedelta(minutes=5), name=f"step{step}")
        activity.used(previous, role="input")
        product = doc.entity(f"ex:{tag}.product{step}", name=f"{tag} product {step}", location=f"file:///{tag}/{step}")
        activity.generated(product, role="output")
        activity.associated_with(agent, role="Software")
        activity.parameter("threshold", str(step + 1))
        previous = product
    return doc


def start_server(tmp: Path, archive_url: str | None, config: str = "", port: int | None = None) -> Server:
    """``provarchive serve`` on ``archive_url`` (None: SQLite in ``tmp``), on ``port`` if given."""
    tmp.mkdir(parents=True, exist_ok=True)
    server = make_server(tmp, config)
    if archive_url:
        server.env["PROVARCHIVE_ARCHIVE"] = archive_url
    if port is None:
        server.start()
        return server
    server.port = port
    with open(tmp / f"server-{port}.log", "ab") as log:
        server.process = subprocess.Popen(
            [PROVARCHIVE, "serve", "--port", str(port)], env=server.env, stdout=log, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError((tmp / f"server-{port}.log").read_text())
        try:
            if httpx.get(f"{server.url}/availability", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start in 30 s")


@contextmanager
def running(tmp: Path, archive_url: str | None, config: str = "") -> Iterator[Server]:
    server = start_server(tmp, archive_url, config)
    try:
        yield server
    finally:
        server.stop()
