"""The ``provarchive`` command.

``provarchive run -- CMD`` takes a fast path that imports only the capture layer (its
fixed overhead must stay in milliseconds); every other command is a Typer app built
from the command modules of this package.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "run":
        from ..capture.wrapper import main as run_main

        return run_main(args[1:])
    from .app import build_app

    app = build_app()
    try:
        app(args=args, prog_name="provarchive", standalone_mode=True)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
