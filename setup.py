"""Build of provarchive's optional compiled accelerator (everything else is in pyproject.toml).

The extension is ``optional``: where it does not compile (no C compiler, no Python
headers), installation goes on without it and provarchive runs its pure-Python
paths, which give the same results (see ``provarchive.util.compiled``).
"""

from setuptools import Extension, setup

ACCEL = "src/provarchive/formats/_provjson_accel"

setup(
    ext_modules=[
        Extension(
            "provarchive.formats._provjson_accel",
            [f"{ACCEL}/module.c", f"{ACCEL}/write.c", f"{ACCEL}/decode.c"],
            depends=[f"{ACCEL}/common.h"],
            optional=True,
        )
    ]
)
