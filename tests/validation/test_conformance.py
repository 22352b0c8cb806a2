"""Agreement with the W3C PROV-CONSTRAINTS test cases (shared/conformance/w3c-prov/MANIFEST.tsv).

Every case is read with ``provarchive.formats.read`` and validated with the W3C rules;
the verdict is compared with the expected one. Rows marked UNCERTAIN (the verdict
comes only from a file name that ProvToolbox's own test contradicts) and ASSUMED (W3C
spec examples, not test cases) are counted apart. A file whose reader module is not
installed yet is skipped and counted; a file a reader rejects counts as an "invalid"
verdict (a pipeline reading it would refuse it too).
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from provarchive.formats import read
from provarchive.validation import validate

#: Measured agreement on the authoritative rows is 100 %; a regression below this fails.
AGREEMENT_FLOOR = 0.97
#: At least this many authoritative cases must have been read (guards against a silently empty run).
MINIMUM_CASES = 200


@dataclass
class Case:
    file: str
    expected: str
    category: str
    status: str  # "authoritative", "uncertain", "assumed"
    got: str | None = None  # "valid", "invalid", or None when no reader
    note: str = ""


def _category(file: str) -> str:
    parts = file.split("/")
    if parts[0] == "w3c-examples":
        return "w3c-examples"
    if parts[0] == "w3c-testcases" or parts[1] == "type":
        return "typing"
    if parts[0] == "prov-python" or parts[1] == "unification":
        return "unification"
    return {"ordering": "ordering", "misc": "misc", "prov-n-issues": "prov-n-issues"}.get(parts[1], parts[1])


def _run(root: Path) -> list[Case]:
    cases: list[Case] = []
    with open(root / "MANIFEST.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            note = row["constraint_or_note"]
            status = "uncertain" if "UNCERTAIN" in note else "assumed" if "ASSUMED" in note else "authoritative"
            case = Case(row["file"], row["expected"], _category(row["file"]), status)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    doc = read(root / row["file"])
            except ImportError as error:  # a reader still being written: skip, and say so
                case.note = f"reader missing: {error}"
                cases.append(case)
                continue
            except Exception as error:  # noqa: BLE001 - any refusal by a reader is an "invalid" verdict
                case.got, case.note = "invalid", f"rejected by the reader: {type(error).__name__}: {error}"
                cases.append(case)
                continue
            report = validate(doc, rules="w3c")
            case.got = "valid" if report.valid else "invalid"
            case.note = "; ".join(issue.rule for issue in report.errors)
            cases.append(case)
    return cases


@pytest.fixture(scope="module")
def cases(conformance: Path) -> list[Case]:
    return _run(conformance / "w3c-prov")


def _table(cases: list[Case]) -> str:
    rows: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for case in cases:
        counts = rows[(case.category, case.status)]
        if case.got is None:
            counts["skipped"] += 1
        else:
            counts["agree" if case.got == case.expected else "disagree"] += 1
            if case.note.startswith("rejected"):
                counts["rejected"] += 1
    lines = [f"{'category':15} {'rows':14} {'agree':>6} {'checked':>8} {'rate':>7} {'rejected':>9} {'no reader':>10}"]
    for (category, status), counts in sorted(rows.items()):
        checked = counts["agree"] + counts["disagree"]
        rate = f"{counts['agree'] / checked:.1%}" if checked else "-"
        lines.append(
            f"{category:15} {status:14} {counts['agree']:6} {checked:8} {rate:>7} "
            f"{counts['rejected']:9} {counts['skipped']:10}"
        )
    return "\n".join(lines)


def test_agreement_with_w3c_test_cases(cases: list[Case], capsys: pytest.CaptureFixture[str]) -> None:
    table = _table(cases)
    with capsys.disabled():  # the table belongs in every test log, CI's included
        print("\nW3C PROV-CONSTRAINTS agreement (rules='w3c')\n" + table)
    checked = [c for c in cases if c.status == "authoritative" and c.got is not None]
    agree = [c for c in checked if c.got == c.expected]
    disagreements = "\n".join(
        f"  {c.file}: expected {c.expected}, got {c.got} ({c.note})" for c in checked if c not in agree
    )
    assert len(checked) >= MINIMUM_CASES, f"only {len(checked)} cases could be read\n{table}"
    rate = len(agree) / len(checked)
    assert rate >= AGREEMENT_FLOOR, f"agreement {rate:.1%} below {AGREEMENT_FLOOR:.0%}\n{table}\n{disagreements}"


def test_every_category_is_checked(cases: list[Case]) -> None:
    """Unification, ordering and typing cases all take part (none silently lost)."""
    read_by_category = Counter(c.category for c in cases if c.got is not None and c.status == "authoritative")
    for category in ("unification", "ordering", "typing"):
        assert read_by_category[category] > 0, f"no {category} case could be read"


def test_failing_cases_name_the_constraint(cases: list[Case]) -> None:
    """An invalid verdict from the validator (not from a reader) names at least one W3C rule."""
    for case in cases:
        if case.got == "invalid" and not case.note.startswith("rejected"):
            assert case.note.startswith("W3C-"), case
