"""Content hashes of files: streaming, cached by file identity, optionally while writing.

Hashing is the expensive part of capture (reference/capture.md §4.1: dvc#10251,
cwltool#1861), so it is tiered:

* a cache keyed by ``(device, inode, size, mtime_ns)`` persisted in
  ``<data_dir>/hash-cache.jsonl`` means a file is read at most once while it is
  unchanged, across processes and runs (entries younger than two seconds are not cached:
  a file rewritten within the file system's timestamp granularity would look unchanged);
* :class:`HashingWriter` hashes bytes while they are written, so an output is never
  read back;
* :class:`HashPolicy` chooses per role and size between ``full`` (hash now),
  ``deferred`` (hash on a background thread) and ``stat`` (size and mtime only), and
  the chosen status is recorded on the entity;
* FITS files carry their own fixity (``DATASUM``/``CHECKSUM`` keywords); they are read
  from the headers and recorded as such (:func:`fits_checksums`).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~5 ms to import; only type checkers need it
    from collections.abc import Callable
    from typing import Any

__all__ = [
    "hash_file",
    "HashCache",
    "HashingWriter",
    "HashPolicy",
    "fits_checksums",
    "default_cache_path",
    "BUFFER_SIZE",
    "HASH_MODES",
]

#: Read size for streaming: large enough that the syscall cost vanishes next to SHA-256.
BUFFER_SIZE = 1 << 20
#: The hashing modes of a policy; also the ``hash_status`` recorded for ``stat``.
HASH_MODES = ("full", "deferred", "stat")
#: Files modified this recently are hashed but not cached (timestamp granularity).
RACY_SECONDS = 2.0


def default_cache_path() -> str:
    """Where the hash cache lives: ``<data_dir>/hash-cache.jsonl``.

    Inside a job (``PROVARCHIVE_SPOOL`` set by a job service, no explicit
    ``PROVARCHIVE_DATA_DIR``) it sits next to the spool instead: job services often point
    ``HOME`` at the job's working directory, where a cache file would pass for an output.
    """
    from .events import default_data_dir

    spool = os.environ.get("PROVARCHIVE_SPOOL")
    if spool and not os.environ.get("PROVARCHIVE_DATA_DIR"):
        return os.path.join(os.path.dirname(os.path.abspath(spool)), "hash-cache.jsonl")
    return os.path.join(default_data_dir(), "hash-cache.jsonl")


class HashCache:
    """Digests by ``(device, inode, size, mtime_ns, algorithm)``, persisted as JSON lines.

    Loaded on first use; new entries are appended with one ``O_APPEND`` write each, so
    concurrent processes may share the file. When the file has grown past
    ``compact_after`` lines it is rewritten with only the latest entry per key.
    """

    def __init__(self, path: str | None = None, *, compact_after: int = 200_000) -> None:
        self.path = path if path is not None else default_cache_path()
        self.compact_after = compact_after
        self._entries: dict[tuple[int, int, int, int, str], str] | None = None
        self._lines = 0
        self._lock = threading.Lock()

    def _load(self) -> dict[tuple[int, int, int, int, str], str]:
        if self._entries is not None:
            return self._entries
        import json

        entries: dict[tuple[int, int, int, int, str], str] = {}
        lines = 0
        try:
            with open(self.path, "rb") as handle:
                for line in handle:
                    lines += 1
                    try:
                        dev, ino, size, mtime, alg, digest = json.loads(line)
                        entries[(int(dev), int(ino), int(size), int(mtime), str(alg))] = str(digest)
                    except (ValueError, TypeError):
                        continue  # a torn last line from a killed writer
        except OSError:
            pass
        self._entries, self._lines = entries, lines
        return entries

    @staticmethod
    def key(st: os.stat_result, algorithm: str) -> tuple[int, int, int, int, str]:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, algorithm)

    def get(self, st: os.stat_result, algorithm: str) -> str | None:
        with self._lock:
            return self._load().get(self.key(st, algorithm))

    def put(self, st: os.stat_result, algorithm: str, digest: str) -> None:
        if time.time() - st.st_mtime < RACY_SECONDS:
            return
        key = self.key(st, algorithm)
        with self._lock:
            entries = self._load()
            if entries.get(key) == digest:
                return
            entries[key] = digest
            line = f'[{key[0]},{key[1]},{key[2]},{key[3]},"{algorithm}","{digest}"]\n'.encode()
            try:
                os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                finally:
                    os.close(fd)
                self._lines += 1
                if self._lines > self.compact_after:
                    self._compact(entries)
            except OSError:
                pass  # a cache that cannot be written only costs time later

    def _compact(self, entries: dict[tuple[int, int, int, int, str], str]) -> None:
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            for (dev, ino, size, mtime, alg), digest in entries.items():
                handle.write(f'[{dev},{ino},{size},{mtime},"{alg}","{digest}"]\n')
        os.replace(tmp, self.path)
        self._lines = len(entries)


def _stream_digest(path: str | os.PathLike[str], algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    buffer = bytearray(BUFFER_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
    return digest.hexdigest()


def hash_file(
    path: str | os.PathLike[str],
    algorithm: str = "sha256",
    *,
    cache: HashCache | None | bool = True,
    st: os.stat_result | None = None,
) -> str:
    """Hex digest of the content of ``path``, reusing a cached digest when the file is unchanged.

    ``cache=True`` uses the default persistent cache, ``False``/``None`` disables it, or
    pass a :class:`HashCache`. The file is read once with a 1 MiB buffer.
    """
    if cache is True:
        cache = _default_cache()
    if cache:
        if st is None:
            st = os.stat(path)
        hit = cache.get(st, algorithm)
        if hit is not None:
            return hit
    value = _stream_digest(path, algorithm)
    if cache:
        after = os.stat(path)
        assert st is not None
        if (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns):  # unchanged while read
            cache.put(after, algorithm, value)
    return value


_DEFAULT_CACHES: dict[str, HashCache] = {}


def _default_cache() -> HashCache:
    """One cache object per cache file in this process (loaded once)."""
    path = default_cache_path()
    cache = _DEFAULT_CACHES.get(path)
    if cache is None:
        cache = _DEFAULT_CACHES[path] = HashCache(path)
    return cache


class HashingWriter(io.RawIOBase):
    """A binary file opened for writing that hashes every byte written to it.

    ``close()`` calls ``on_close(path, digest, stat)`` so the recorder can emit the
    generation event with a complete hash, without reading the file back.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        algorithm: str = "sha256",
        append: bool = False,
        on_close: Callable[[str, str, os.stat_result], None] | None = None,
    ) -> None:
        super().__init__()
        self.path = os.path.abspath(os.fspath(path))
        self.algorithm = algorithm
        if append:
            raise ValueError("open_output hashes a whole file and cannot append; write a new file")
        self._digest = hashlib.new(algorithm)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o666)
        self._on_close = on_close
        self.hexdigest: str | None = None

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._digest.update(view)
        total = 0
        while total < len(view):
            total += os.write(self._fd, view[total:])
        return total

    def close(self) -> None:
        if self.closed:
            return
        try:
            super().close()
        finally:
            st = os.fstat(self._fd)
            os.close(self._fd)
            self.hexdigest = self._digest.hexdigest()
            if self._on_close is not None:
                self._on_close(self.path, self.hexdigest, st)


class HashPolicy:
    """Which files are hashed now, later or not at all.

    ``mode`` is the default (``full``, ``deferred`` or ``stat``); ``by_role`` overrides it
    per role; files larger than ``max_full_bytes`` that would be hashed ``full`` are
    ``deferred`` instead, so one 100 GB input does not stall the job at start.
    """

    def __init__(
        self,
        mode: str = "full",
        *,
        by_role: dict[str, str] | None = None,
        max_full_bytes: int = 256 * 1024 * 1024,
        algorithm: str = "sha256",
    ) -> None:
        for value in (mode, *(by_role or {}).values()):
            if value not in HASH_MODES:
                raise ValueError(f"hash mode must be one of {', '.join(HASH_MODES)}, not {value!r}")
        hashlib.new(algorithm)  # fail now on an unknown algorithm
        self.mode = mode
        self.by_role = dict(by_role or {})
        self.max_full_bytes = max_full_bytes
        self.algorithm = algorithm

    @classmethod
    def coerce(cls, value: HashPolicy | str | None) -> HashPolicy:
        if isinstance(value, HashPolicy):
            return value
        return cls(value or os.environ.get("PROVARCHIVE_HASH") or "full")

    def mode_for(self, role: str | None, size: int) -> str:
        mode = self.by_role.get(role, self.mode) if role is not None and self.by_role else self.mode
        if mode == "full" and size > self.max_full_bytes:
            return "deferred"
        return mode


# ---------------------------------------------------------------------------- FITS

_BLOCK = 2880


def _card_value(card: bytes) -> str:
    value = card[10:].split(b"/", 1)[0] if not card[10:].lstrip().startswith(b"'") else card[10:]
    text = value.decode("ascii", "replace").strip()
    if text.startswith("'"):
        text = text[1:].split("'", 1)[0].strip()
    return text


def fits_checksums(path: str | os.PathLike[str], *, max_hdus: int = 64) -> list[dict[str, str]]:
    """``DATASUM``/``CHECKSUM`` of each HDU of a FITS file that has them (headers only).

    Walks the headers, skipping each data unit by its size (``BITPIX``, ``NAXISn``,
    ``PCOUNT``, ``GCOUNT``), so a large file costs a few small reads. Returns ``[]`` for a
    file that is not FITS or has no checksum keywords.
    """
    found: list[dict[str, str]] = []
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            offset = 0
            for hdu in range(max_hdus):
                if offset >= size:
                    break
                handle.seek(offset)
                cards: dict[str, str] = {}
                header_blocks = 0
                ended = False
                while not ended:
                    block = handle.read(_BLOCK)
                    if len(block) < _BLOCK:
                        return found
                    if hdu == 0 and header_blocks == 0 and not block.startswith(b"SIMPLE  ="):
                        return []
                    header_blocks += 1
                    for start in range(0, _BLOCK, 80):
                        card = block[start : start + 80]
                        keyword = card[:8].rstrip().decode("ascii", "replace")
                        if keyword == "END":
                            ended = True
                            break
                        if card[8:10] == b"= ":
                            cards[keyword] = _card_value(card)
                if "DATASUM" in cards or "CHECKSUM" in cards:
                    entry = {"hdu": str(hdu)}
                    if "DATASUM" in cards:
                        entry["datasum"] = cards["DATASUM"]
                    if "CHECKSUM" in cards:
                        entry["checksum"] = cards["CHECKSUM"]
                    found.append(entry)
                try:
                    bitpix = abs(int(cards.get("BITPIX", "8")))
                    naxis = int(cards.get("NAXIS", "0"))
                    elements = 1 if naxis else 0
                    for axis in range(1, naxis + 1):
                        elements *= int(cards.get(f"NAXIS{axis}", "0"))
                    data = bitpix // 8 * int(cards.get("GCOUNT", "1")) * (int(cards.get("PCOUNT", "0")) + elements)
                except ValueError:
                    return found
                offset += header_blocks * _BLOCK + (data + _BLOCK - 1) // _BLOCK * _BLOCK
    except OSError:
        return found
    return found


def is_fits_name(path: str) -> bool:
    lower = path.lower()
    return lower.endswith((".fits", ".fit", ".fts"))
