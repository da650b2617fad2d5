"""Citations in code, tests, benchmarks and the README point at what is in the repo.

Code explains a choice by citing a measured fact of docs/architecture.md
("docs/architecture.md, fact N"). A citation of a fact that does not exist,
or of a design file outside the repository, explains nothing to a reader of
this checkout, so both fail here.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARCHITECTURE = REPO / "docs" / "architecture.md"
CITATION = re.compile(r"architecture\.md,\s+facts?\s+(\d+)(?:\s+and\s+(\d+))?")
FACT = re.compile(r"^(\d+)\. \*\*", re.MULTILINE)


def cited_files() -> list[Path]:
    """Every file that may cite: the package, tests, benchmarks, scripts and the README."""
    files = [REPO / "README.md"]
    for folder in ("symphony", "tests", "benchmarks", "scripts", "patches"):
        files += sorted((REPO / folder).rglob("*.py"))
    return [f for f in files if f.is_file()]


def facts() -> set[int]:
    """The numbers of the facts docs/architecture.md lists."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    return {int(n) for n in FACT.findall(text.split("\n## Facts\n", 1)[1])}


def citations(text: str) -> list[int]:
    """The fact numbers a text cites."""
    return [int(n) for match in CITATION.finditer(text) for n in match.groups() if n]


def test_citations_are_parsed() -> None:
    text = "see docs/architecture.md, fact 7; docs/architecture.md, facts 2 and 3"
    assert citations(text) == [7, 2, 3]


def test_facts_are_numbered_in_order() -> None:
    numbers = sorted(facts())
    assert numbers == list(range(1, len(numbers) + 1)), numbers
    assert len(numbers) >= 20


def test_every_cited_fact_exists() -> None:
    known = facts()
    missing = [
        f"{path.relative_to(REPO)}: fact {n}"
        for path in cited_files()
        for n in citations(path.read_text(encoding="utf-8"))
        if n not in known
    ]
    assert not missing, "cited facts not in docs/architecture.md: " + ", ".join(missing)


def test_code_cites_the_architecture_not_an_outside_design_file() -> None:
    # README.md is merged by hand (its replacement line is in the docs notes);
    # this file names the outside file only to look for it.
    skip = {Path(__file__).resolve()}
    outside = [
        str(path.relative_to(REPO))
        for path in cited_files()
        if path not in skip and "DESIGN.md" in path.read_text(encoding="utf-8")
    ]
    assert not outside, "cites DESIGN.md, which is not in the repository: " + ", ".join(outside)
