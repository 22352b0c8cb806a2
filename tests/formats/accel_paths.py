"""Tests with and without the compiled PROV-JSON accelerator (``_provjson_accel``).

Each module that uses it keeps it as ``_ACCEL`` and takes its pure-Python path where
that is None; the tests of such a module run both ways through :func:`choose_path`.
CI requires the accelerator to be built (``PROVARCHIVE_REQUIRE_EXTERNAL=1``).
"""

from __future__ import annotations

from types import ModuleType

import pytest

from provarchive.formats.accel import ACCEL
from tests.conftest import require_external

#: The two paths, as fixture parameters.
PATHS = ["compiled", "python"]


def require_accel() -> ModuleType:
    """The compiled accelerator: the test is skipped where it is not built (failed in CI)."""
    require_external(
        "the compiled PROV-JSON accelerator (provarchive.formats._provjson_accel)",
        ACCEL is not None,
        "installing provarchive builds it where a C compiler and the Python headers are present",
    )
    assert ACCEL is not None
    return ACCEL


def choose_path(path: str, monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> str:
    """Run the test on ``path`` of ``module``: ``compiled`` (required) or ``python``."""
    if path == "compiled":
        require_accel()
    else:
        monkeypatch.setattr(module, "_ACCEL", None)
    return path
