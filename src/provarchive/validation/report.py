"""The result of a validation: a list of issues, each naming its rule and records.

An :class:`Issue` says which rule was broken (``"W3C-C55 disjointness"``,
``"IVOA-5 role matches description"``), how badly (``"error"`` makes the document
invalid, ``"warning"`` does not), what is wrong in plain words, and which record ids
are concerned, so that a user can go straight to the offending statements and a
program (the CLI, the web service, the archive's ingest) can act on them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Issue", "Report", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Issue:
    """One broken rule.

    ``rule`` is the rule's code followed by its short name; ``records`` holds the ids
    of the records concerned (anonymous relations are written as ``kind(arg, arg)``).
    """

    rule: str
    severity: Severity
    message: str
    records: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.severity not in ("error", "warning"):
            raise ValueError(f"severity must be 'error' or 'warning', not {self.severity!r}")

    @property
    def code(self) -> str:
        """The rule's code without its name: ``"W3C-C55"``, ``"IVOA-5"``."""
        return self.rule.split(" ", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "records": list(self.records)}

    def __str__(self) -> str:
        return f"{self.severity}: [{self.rule}] {self.message}"


@dataclass
class Report:
    """Every issue found in a document; ``valid`` when none is an error."""

    issues: list[Issue] = field(default_factory=list)
    #: Which rule families were checked: "all", "w3c" or "ivoa".
    rules: str = "all"

    @property
    def valid(self) -> bool:
        return not any(issue.severity == "error" for issue in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == "warning"]

    def by_rule(self) -> dict[str, int]:
        """How many issues each rule produced (for summaries)."""
        return dict(Counter(issue.rule for issue in self.issues))

    def to_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "rules": self.rules,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "issues": [issue.to_dict() for issue in self.issues],
        }

    def format_text(self, *, limit: int | None = None) -> str:
        """A human-readable report: a verdict line, then one line per issue.

        ``limit`` caps the number of issue lines (a 100k-record document with a
        systematic mistake would otherwise print 100k lines); the summary says how
        many were left out.
        """
        errors, warnings = len(self.errors), len(self.warnings)
        verdict = "valid" if self.valid else "INVALID"
        lines = [f"{verdict}: {errors} error(s), {warnings} warning(s) (rules: {self.rules})"]
        ordered = self.errors + self.warnings
        shown = ordered if limit is None else ordered[:limit]
        for issue in shown:
            where = f" (records: {', '.join(issue.records)})" if issue.records else ""
            lines.append(f"  {issue.severity:7} {issue.rule}: {issue.message}{where}")
        if len(shown) < len(ordered):
            lines.append(f"  ... {len(ordered) - len(shown)} more issue(s) not shown")
        return "\n".join(lines)
