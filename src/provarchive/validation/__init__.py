"""Validation of provenance documents: W3C PROV-CONSTRAINTS and the IVOA ProvDM rules.

    from provarchive.validation import validate
    report = validate(doc)              # rules="all" | "w3c" | "ivoa"
    if not report.valid:
        print(report.format_text())

Every issue names its rule (``"W3C-C55 entity-activity-disjoint"``, ``"IVOA-5 role
matches description"``), its severity (errors make the document invalid, warnings do
not) and the ids of the records concerned. docs/validation.md lists every rule.
"""

from __future__ import annotations

from ..model.document import Bundle, Document
from ..util import paused_gc
from .report import Issue, Report

__all__ = ["validate", "Report", "Issue", "RULE_SETS"]

#: Accepted values of ``validate(..., rules=...)``.
RULE_SETS = ("all", "w3c", "ivoa")


def validate(doc: Document | Bundle, *, rules: str = "all") -> Report:
    """Check ``doc`` (each bundle separately) against the W3C and/or IVOA rules."""
    if rules not in RULE_SETS:
        raise ValueError(f"rules must be one of {', '.join(RULE_SETS)}, not {rules!r}")
    from .ivoa import check_bundle as check_ivoa
    from .w3c import check_bundle as check_w3c

    bundles: list[Bundle] = [doc]
    if isinstance(doc, Document):
        bundles.extend(doc.bundles.values())
    issues: list[Issue] = []
    with paused_gc():  # the checks build millions of small acyclic objects on large documents
        for bundle in bundles:
            w3c_issues = check_w3c(bundle) if rules in ("all", "w3c") else []
            ivoa_issues = check_ivoa(bundle) if rules in ("all", "ivoa") else []
            found = _without_duplicates(w3c_issues, ivoa_issues) + ivoa_issues
            if bundle.id is not None and isinstance(doc, Document):
                found = [_in_bundle(issue, bundle.id) for issue in found]
            issues.extend(found)
    return Report(issues, rules)


def _in_bundle(issue: Issue, bundle_id: str) -> Issue:
    """Say which named bundle an issue was found in (ids can repeat across bundles)."""
    return Issue(issue.rule, issue.severity, f"in bundle {bundle_id}: {issue.message}", issue.records)


def _without_duplicates(w3c_issues: list[Issue], ivoa_issues: list[Issue]) -> list[Issue]:
    """Drop W3C time warnings that an IVOA error already reports for the same records.

    A usage dated before its activity starts is a warning for PROV-CONSTRAINTS (time
    values do not decide validity there) and an error for ProvDM (rule IVOA-4); the
    user should read it once, as the error.
    """
    covering: dict[str, list[frozenset[str]]] = {}  # record id -> record sets of IVOA errors naming it
    for issue in ivoa_issues:
        if issue.severity == "error" and issue.records:
            records = frozenset(issue.records)
            for record in issue.records:
                covering.setdefault(record, []).append(records)
    if not covering:
        return w3c_issues

    def repeated(issue: Issue) -> bool:
        if issue.severity != "warning" or not issue.records:
            return False
        mine = frozenset(issue.records)
        return any(mine <= records for records in covering.get(issue.records[0], ()))

    return [issue for issue in w3c_issues if not repeated(issue)]
