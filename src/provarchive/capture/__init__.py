"""Recording provenance while pipelines run: a Python API and ``provarchive run``.

::

    from provarchive.capture import activity

    with activity("calibrate", parameters={"gain": 1.2}) as act:
        act.used("raw.fits", role="raw events")
        act.generated("dl1.h5", role="dl1")

Events go to a JSON-Lines spool as they happen (``$PROVARCHIVE_SPOOL`` or a file under
the data directory); :func:`compile_spool` turns a spool into a PROV document and
:func:`provarchive.capture.upload.upload` sends it to an archive. Importing this package
is cheap: the model and the formats are loaded only when a spool is compiled.
"""

from __future__ import annotations

from .recorder import ActivityScope, RecordedActivity, activity, current_activity, file_entity_id

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~10 ms to import on the fast path
    from typing import Any

__all__ = ["activity", "current_activity", "RecordedActivity", "ActivityScope", "file_entity_id", "compile_spool"]


def compile_spool(path: Any, **options: Any) -> Any:
    """See :func:`provarchive.capture.spool.compile_spool` (imported lazily: it loads the model)."""
    from .spool import compile_spool as compile_

    return compile_(path, **options)
