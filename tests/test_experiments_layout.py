"""experiments/ holds one folder per study (a README, its scripts, its small results), an index, the results
table and its hand-written findings; every markdown link in those documents points at a file that exists."""

from __future__ import annotations

import re
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"
TOP_LEVEL_FILES = {"README.md", "RESULTS.md", "FINDINGS.md"}


def test_each_study_is_a_folder_with_a_readme_listed_in_the_index():
    loose = {p.name for p in EXPERIMENTS.iterdir() if p.is_file()} - TOP_LEVEL_FILES
    assert not loose, f"files of a study belong in its folder: {sorted(loose)}"
    studies = sorted(p.name for p in EXPERIMENTS.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert [s for s in studies if not (EXPERIMENTS / s / "README.md").is_file()] == []
    index = (EXPERIMENTS / "README.md").read_text()
    assert [s for s in studies if f"]({s}/README.md)" not in index] == []


def test_markdown_links_of_the_studies_resolve():
    broken = []
    for doc in EXPERIMENTS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#\s]+)", doc.read_text()):
            if not target.startswith(("http://", "https://")) and not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(EXPERIMENTS)} -> {target}")
    assert broken == []
