"""Small helpers shared by every layer (no provarchive imports here)."""

from __future__ import annotations

import gc
import importlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import ModuleType

__all__ = ["paused_gc", "atomic_write", "compiled", "PURE_PYTHON_VARIABLE"]

#: Set (to anything but "" or "0") to run the pure-Python paths instead of the
#: compiled accelerators, e.g. to compare the two or to rule one out.
PURE_PYTHON_VARIABLE = "PROVARCHIVE_PURE_PYTHON"


def compiled(name: str) -> ModuleType | None:
    """The optional compiled accelerator ``name`` (``provarchive.formats._provjson_accel``),
    or None where it was not built (installation goes on without a C compiler; see
    ``setup.py``) or where ``PROVARCHIVE_PURE_PYTHON`` asks for the pure-Python paths.

    Each accelerator has a pure-Python path writing the same output, which its caller
    takes when this returns None."""
    if os.environ.get(PURE_PYTHON_VARIABLE, "") not in ("", "0"):
        return None
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Reading or writing a 100k-record document allocates a million small objects and
    none of them form cycles; CPython's collector would otherwise walk the growing heap
    again and again (it doubles the time). Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[object]:
    """Write ``path`` through a temporary file in the same directory, renamed at the end.

    On any error the temporary file is removed and ``path`` is left as it was, so a
    failed conversion never leaves a partial output file.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, mode) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
