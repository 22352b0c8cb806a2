"""The one error type of the ADQL layer.

Every failure a client can cause (syntax errors, refused constructs, unknown tables or
columns, timeouts) surfaces as :class:`AdqlError`, so the TAP service maps exactly one
exception to an error VOTable and never shows a traceback.
"""

from __future__ import annotations

__all__ = ["AdqlError", "QueryTimeout"]


class AdqlError(ValueError):
    """A query that is malformed or refused, with the position of the offending token.

    ``line`` and ``column`` are 1-based positions in the ADQL text when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.message = message
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None and column is not None else ""
        super().__init__(message + where)


class QueryTimeout(AdqlError):
    """The query ran longer than the statement timeout and was interrupted by the database."""
