"""The capture event log: one JSON object per line, appended and flushed as it happens.

This module is on the fast path of ``provarchive run`` and of every recorded activity,
so it imports nothing beyond the interpreter's built-in modules: not :mod:`json` (whose
import pulls in :mod:`re`), not :mod:`datetime`, not the model. Events are small flat
dictionaries, encoded here by a tiny encoder built on the C string escaper that
:mod:`json` itself uses.

Why a line-oriented log rather than a document written at the end: a job that is
SIGKILLed, runs out of memory or loses its node still leaves every event written so far,
and each line (or batch of whole lines) is one ``write(2)`` on a file opened with ``O_APPEND``, so several
processes (a job and the tools it runs) can share one spool without interleaving bytes
inside a line. :mod:`provarchive.capture.spool` turns the log into a PROV document.
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import on the fast path
    from typing import Any

try:  # the C escaper behind json.dumps; importing _json does not import re
    from _json import encode_basestring as _quote
except ImportError:  # pragma: no cover - CPython always has _json
    _ESCAPES = {i: f"\\u{i:04x}" for i in range(0x20)}
    _ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})

    def _quote(text: str, /) -> str:
        return '"' + text.translate(_ESCAPES) + '"'


#: A str as a JSON string literal, quotes included (the recorder formats file events with it).
json_string = _quote

__all__ = [
    "encode",
    "iso_time",
    "json_ready",
    "file_line_parts",
    "json_string",
    "SpoolWriter",
    "SPOOL_VERSION",
    "default_data_dir",
]

#: Version of the event schema, written in every ``start`` event.
SPOOL_VERSION = 1


def default_data_dir() -> str:
    """The data directory without importing :mod:`provarchive.config` (which loads the model).

    Same rule as :func:`provarchive.config.default_data_dir`, with ``PROVARCHIVE_DATA_DIR``
    taking precedence; the capture fast path must stay import-light.
    """
    explicit = os.environ.get("PROVARCHIVE_DATA_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "provarchive")


def _encode_into(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_quote(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        # JSON has no NaN or infinity; keep them readable rather than invalid
        out.append(
            float.__repr__(value)
            if value == value and value not in (float("inf"), float("-inf"))
            else _quote(repr(value))
        )
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(_quote(str(key)))
            out.append(":")
            _encode_into(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode_into(item, out)
        out.append("]")
    else:
        out.append(_quote(str(value)))


def _make_c_encoder() -> Any:
    """json's own C encoder, built without importing json (which imports re): ~5x faster.

    NaN/infinity raise (``allow_nan=False``) so that such rare events go through the
    Python encoder above, which writes them as strings instead of invalid JSON.
    """
    try:
        from _json import encode_basestring, make_encoder
    except ImportError:  # pragma: no cover - CPython always has them
        return None
    return make_encoder(None, str, encode_basestring, None, ":", ",", False, False, False)


_C_ENCODER = _make_c_encoder()


def encode(event: dict[str, Any]) -> bytes:
    """One event as a line of JSON (UTF-8, ending in a newline).

    Strings from the file system may hold lone surrogates (undecodable file names read
    with ``surrogateescape``); they are written as ``\\udcXX`` escapes, which JSON
    readers accept, instead of failing the job.
    """
    text = None
    if _C_ENCODER is not None:
        try:
            text = "".join(_C_ENCODER(event, 0)) + "\n"
        except (ValueError, TypeError):
            text = None
    if text is None:
        out: list[str] = []
        _encode_into(event, out)
        out.append("\n")
        text = "".join(out)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(c if not 0xD800 <= ord(c) <= 0xDFFF else f"\\u{ord(c):04x}" for c in text).encode("utf-8")


def file_line_parts(kind: str, activity_id: str, role: str | None, extra: dict[str, str]) -> tuple[str, str]:
    """The fixed text before and after the file in a used/generated event's line.

    Recording thousands of files is the hot path (1000 inputs + 1000 outputs), and
    walking an event dictionary per file is most of its cost. Within one activity the
    text around the file depends only on the event kind, the role and the role's
    description, so :class:`~provarchive.capture.recorder.RecordedActivity` builds it
    once per (kind, role, description) here and fills in the file's values with one
    format call. The test suite checks that the lines are those :func:`encode` writes.
    """
    head = '{"e":' + _quote(kind) + ',"act":' + _quote(activity_id) + ',"ent":{"id":'
    tail = []
    if role is not None:
        tail += [',"role":', _quote(role)]
    for key, value in extra.items():
        tail += [",", _quote(key), ":", _quote(value)]
    tail.append("}\n")
    return head, "".join(tail)


def iso_time(seconds: float | None = None) -> str:
    """UTC time as ISO 8601 with microseconds and ``Z`` (without importing datetime)."""
    if seconds is None:
        seconds = time.time()
    whole = int(seconds)
    micro = int(round((seconds - whole) * 1_000_000))
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{micro:06d}Z"


class SpoolWriter:
    """Appends events to a spool file, one ``write(2)`` per event, never buffered.

    The file is opened with ``O_APPEND`` so that concurrent writers (threads, the
    processes of one job) each add whole lines. A failure to write (disk full, spool
    directory removed) is remembered and reported once on stderr but never raised: losing
    provenance must not kill the science job.
    """

    __slots__ = ("path", "_fd", "failed", "fsync")

    def __init__(self, path: str, *, fsync: bool = False) -> None:
        self.path = os.path.abspath(path)
        self._fd: int | None = None
        self.failed: str | None = None
        #: Also fsync after each event (survives a machine crash, not only a kill).
        self.fsync = fsync

    def _open(self) -> int:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)

    def write(self, event: dict[str, Any]) -> None:
        """Append ``event``; never raises on I/O errors (see class docstring)."""
        if self.failed is None:
            self.write_line(encode(event))

    def write_line(self, data: bytes) -> None:
        """Append one already encoded line (or several whole lines: see ``RecordedActivity.used_many``)."""
        if self.failed is not None:
            return
        try:
            fd = self._fd
            if fd is None:
                fd = self._fd = self._open()
            written = os.write(fd, data)
            if written < len(data):  # a short write (signal, full disk): write the rest
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
            if self.fsync:
                os.fsync(fd)
        except OSError as exc:
            self.failed = f"{exc.strerror or exc}: {self.path}"
            try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                os.write(2, f"provarchive: provenance spool not writable ({self.failed}); job continues\n".encode())
            except OSError:
                pass

    def close(self) -> None:
        if self._fd is not None:
            try:  # noqa: SIM105 - importing contextlib would cost time on the fast path
                os.close(self._fd)
            except OSError:
                pass
            self._fd = None

    def __enter__(self) -> SpoolWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def json_ready(value: Any) -> Any:
    """Parameter values as JSON-encodable data (paths, numpy scalars, quantities → str)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        try:
            return json_ready(item())
        except (TypeError, ValueError):
            pass
    return str(value)
