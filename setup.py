"""Build of provarchive's optional compiled accelerators (everything else is in pyproject.toml).

Each extension is ``optional``: where it does not compile (no C compiler, no Python
headers), installation goes on without it and provarchive runs its pure-Python path,
which writes the same bytes (see ``provarchive.formats.provjson_write``).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "provarchive.formats._provjson_text",
            ["src/provarchive/formats/_provjson_text.c"],
            optional=True,
        )
    ]
)
