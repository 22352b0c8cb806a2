"""The error every reader raises for bad input: what is wrong and where."""

from __future__ import annotations

__all__ = ["FormatError", "UnsafeInputError"]


class FormatError(ValueError):
    """A document could not be read.

    ``line`` and ``column`` (1-based) say where, when the format has positions;
    ``format`` names the format; ``source`` the file, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        format: str | None = None,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.format = format
        self.line = line
        self.column = column
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or ""
        if self.line is not None and not where:
            where = "line"
            where += f" {self.line}" + (f", column {self.column}" if self.column is not None else "")
        elif self.line is not None:
            where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
        prefix = f"{where}: " if where else ""
        fmt = f"{self.format}: " if self.format else ""
        return f"{prefix}{fmt}{self.message}"


class UnsafeInputError(FormatError):
    """Input refused for safety: XML external entities, entity expansion, DTDs."""
