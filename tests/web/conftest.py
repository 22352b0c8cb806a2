"""A real ``provarchive serve`` on a free loopback port, with the test job definitions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

JOBDEFS = Path(__file__).resolve().parent.parent / "jobs" / "data"
PROVARCHIVE = str(Path(sys.executable).parent / "provarchive")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running service: its URL, data directory, process and environment."""

    data_dir: Path
    env: dict[str, str]
    extra_args: list[str] = field(default_factory=list)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def jobs(self, jobdef: str) -> str:
        return f"{self.url}/uws/{jobdef}/jobs"

    def start(self) -> None:
        self.port = free_port()
        with open(self.data_dir / f"server-{self.port}.log", "ab") as log:
            self.process = subprocess.Popen(
                [PROVARCHIVE, "serve", "--port", str(self.port), "--jobdefs", str(JOBDEFS), *self.extra_args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.data_dir / f"server-{self.port}.log").read_text())
            try:
                if httpx.get(f"{self.url}/availability", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start in 30 s")

    def kill(self) -> None:
        """kill -9: no clean shutdown at all."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cli(self, *args: str) -> str:
        done = subprocess.run([PROVARCHIVE, *args], env=self.env, capture_output=True, text=True, check=True)
        return done.stdout


def make_server(tmp: Path, config: str = "", extra_args: list[str] | None = None) -> Server:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROVARCHIVE_")}
    env["PROVARCHIVE_DATA_DIR"] = str(tmp)
    config_path = tmp / "provarchive.toml"
    config_path.write_text(config)
    env["PROVARCHIVE_CONFIG"] = str(config_path)
    return Server(tmp, env, extra_args or [])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An anonymous-mode service shared by a test module."""
    handle = make_server(
        tmp_path_factory.mktemp("uws"),
        "[service]\nslots = 2\nwait_max_s = 20.0\nmax_upload_bytes = 200000\nmax_active_jobs_per_user = 20\n",
    )
    handle.start()
    yield handle
    handle.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as session:
        yield session


def create(
    client: httpx.Client,
    server: Server,
    jobdef: str,
    data: dict[str, str] | list[tuple[str, str]] | None = None,
    **kwargs: object,
) -> str:
    """Create a job and return its URL (checks the 303)."""
    response = client.post(server.jobs(jobdef), data=data or {}, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def wait_final(client: httpx.Client, job_url: str, timeout_s: float = 30) -> str:
    """Follow the job with WAIT until it leaves the active phases; its final phase."""
    deadline = time.monotonic() + timeout_s
    phase = client.get(f"{job_url}/phase").text
    while phase in ("PENDING", "QUEUED", "EXECUTING") and time.monotonic() < deadline:
        client.get(job_url, params={"WAIT": "5"})
        phase = client.get(f"{job_url}/phase").text
    return phase


XML_STUB = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/XML/1998/namespace">
<xs:attribute name="lang" type="xs:language"/><xs:attribute name="space" type="xs:NCName"/>
<xs:attribute name="base" type="xs:anyURI"/><xs:attribute name="id" type="xs:ID"/>
<xs:attributeGroup name="specialAttrs"><xs:attribute ref="xml:base"/><xs:attribute ref="xml:lang"/>
<xs:attribute ref="xml:space"/></xs:attributeGroup></xs:schema>"""


@pytest.fixture(scope="session")
def uws_schema(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The UWS 1.1 XSD from the STILTS jar (offline: imports point at local copies)."""
    from lxml import etree

    from tests.conftest import require_external

    jar = Path("/usr/share/java/starlink-ttools.jar")
    require_external("stilts", jar.is_file(), "the UWS XSD is taken from starlink-ttools.jar")
    import zipfile

    folder = tmp_path_factory.mktemp("xsd")
    with zipfile.ZipFile(jar) as archive:
        for name in ("UWS-v1.1.xsd", "xlink.xsd", "VOSIAvailability-v1.0.xsd"):
            (folder / name).write_bytes(archive.read(f"uk/ac/starlink/ttools/taplint/{name}"))
    (folder / "xml.xsd").write_text(XML_STUB)
    uws = (folder / "UWS-v1.1.xsd").read_text().replace("http://www.ivoa.net/xml/Xlink/xlink.xsd", "xlink.xsd")
    (folder / "UWS-v1.1.xsd").write_text(uws)
    xlink = (
        (folder / "xlink.xsd")
        .read_text()
        .replace('schemaLocation="http://www.w3.org/2001/xml.xsd"', 'schemaLocation="xml.xsd"')
    )
    (folder / "xlink.xsd").write_text(xlink)
    schemas = {
        "uws": etree.XMLSchema(etree.parse(str(folder / "UWS-v1.1.xsd"))),
        "availability": etree.XMLSchema(etree.parse(str(folder / "VOSIAvailability-v1.0.xsd"))),
    }
    return schemas


def assert_valid(schema, body: bytes) -> None:  # type: ignore[no-untyped-def]
    from lxml import etree

    document = etree.fromstring(body)
    if not schema.validate(document):
        raise AssertionError(f"not schema-valid: {schema.error_log}\n{body[:2000]!r}")
