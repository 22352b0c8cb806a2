"""The compiled accelerator of PROV-JSON reading and writing, where it was built.

``_provjson_accel`` (C, in ``_provjson_accel/``, built by ``setup.py`` as an optional
extension) runs the per-record loops of :mod:`.provjson_write` and
:mod:`.provjson_decoders` from the same plans as their generated Python, reading and
setting the records' ``__slots__`` at the offsets given here. Each caller keeps its
pure-Python path, which it takes where :data:`ACCEL` is None: no C compiler at
installation, or ``PROVARCHIVE_PURE_PYTHON=1`` (see :func:`provarchive.util.compiled`).
"""

from __future__ import annotations

from types import ModuleType

from ..model.records import Record
from ..util import compiled

__all__ = ["ACCEL", "slot_offset"]

#: The compiled module, or None.
ACCEL: ModuleType | None = compiled("provarchive.formats._provjson_accel")


def slot_offset(cls: type[Record], name: str) -> int:
    """Where the slot ``name`` of ``cls`` lives in its instances.

    TypeError if ``name`` is not a plain object slot of ``cls`` (a property, say, or
    nothing at all): the caller then leaves that class to its Python path."""
    if ACCEL is None:
        raise TypeError("the compiled accelerator is not built")
    return int(ACCEL.slot_offset(getattr(cls, name, None)))
