"""The docs in layers: a README a newcomer reads in five minutes, the depth in docs/ and
bench/README.md, every relative link resolving, and nothing in them that belongs to one machine."""
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]
README_SECTIONS = ["Getting started", "Layout", "Running the tests", "Using it", "Models: train, activate, roll back",
                   "Configuration", "Deploying to Heroku", "Documentation"]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
# Absolute paths of some machine (a checkout, a home folder, a temporary folder...).
MACHINE_PATH = re.compile(r"(?<![\w.:/<$-])/(?:work|home|Users|tmp|root|usr|var|opt|srv|mnt|etc)/")
DATED = re.compile(r"\b\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|"
                   r"December) \d{4}\b")
ISSUE_NUMBER = re.compile(r"(?i)\bissues? #?\d+|(?<![\w&])#\d+\b")


def prose(path: Path) -> str:
    """The file without its fenced code blocks (links and headings in code are not links)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen, found = Counter(), set()
    for heading in HEADING.findall(prose(path)):
        base = slug(heading)
        found.add(base if not seen[base] else f"{base}-{seen[base]}")
        seen[base] += 1
    return found


def relative_links(path: Path) -> list[str]:
    return [target for target in LINK.findall(prose(path))
            if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not target.startswith("/")]


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    broken = []
    for target in relative_links(path):
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.relative_to(ROOT)}")
    assert broken == []


def test_the_link_check_sees_links_and_anchors():
    assert "docs/model.md" in relative_links(README)
    assert "models-train-activate-roll-back" in anchors(README)
    assert slug("The dashboard's daily summary") == "the-dashboards-daily-summary"


def test_every_doc_is_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in relative_links(README)}
    assert [str(path.relative_to(ROOT)) for path in DOCS[1:] if path not in linked] == []


@pytest.mark.parametrize("path", DOCS, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_doc_names_a_path_of_one_machine(path):
    text = path.read_text(encoding="utf-8")
    assert [line for line in text.splitlines() if MACHINE_PATH.search(line)] == []


def test_readme_is_short_with_the_two_commands_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250
    assert any(line.startswith("make run") for line in lines[:40])
    assert any(line.startswith("make test") for line in lines[:40])


def test_readme_has_exactly_the_agreed_sections():
    assert re.findall(r"^## (.+)$", prose(README), re.MULTILINE) == README_SECTIONS


def test_readme_has_no_dated_runs_and_no_issue_numbers():
    text = README.read_text(encoding="utf-8")
    assert DATED.findall(text) == [] and ISSUE_NUMBER.findall(text) == []
