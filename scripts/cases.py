"""The benchmark cases in ../shared/data and the folds that keep tuning honest.

Every case belongs to a show; a fold is one show. A constant, threshold, weight or fitted model is
chosen on the other shows and judged on the held-out one (leave one show out), and benchmarks print
each case's figure with the shows it was tuned on. This file knows the cases only as benchmark
material: nothing in ``ytlocal/`` may read it, and no case's words appear in the code.

    from cases import all_cases, folds
    for case in all_cases(): case.name, case.show, case.path, case.has_keypoints, case.has_ads ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DATA = SHARED / "data"


@dataclass(frozen=True)
class Case:
    name: str
    show: str
    path: Path

    @property
    def development(self) -> bool:
        """One of the four talks in data/eval that ytlocal's hand-set constants (selection's decays,
        caps, costs; the fusion's k) were screened on before the cases in data/ads existed: figures
        there are not held out from that tuning."""
        return self.path.parent.name == "eval"

    @property
    def has_keypoints(self) -> bool:
        return (self.path / "keypoints.json").is_file()

    @property
    def has_ads(self) -> bool:
        return (self.path / "ads.json").is_file()

    @property
    def has_questions(self) -> bool:
        return (self.path / "questions.json").is_file()

    @property
    def punctuated(self) -> bool:
        """Whether the transcript as given has sentence ends (some ASR output and captions do not)."""
        text = (self.path / "transcript.txt").read_text()
        return len(re.findall(r"[.!?]", text)) > len(text.split()) / 60


def _show(folder: Path) -> str:
    """The show a case folder belongs to: its SOURCE.md's "Show" (data/ads) or "channel / show" row."""
    source = (folder / "SOURCE.md").read_text() if (folder / "SOURCE.md").is_file() else ""
    match = re.search(r"\*\*Show:\*\*\s*([^(\n]+)", source) or re.search(r"\|\s*channel / show\s*\|\s*([^|\n]+)", source)
    if match:
        return match.group(1).strip().rstrip(".")
    return folder.name.split("-")[0]


def all_cases(data: Path = DATA) -> list[Case]:
    """Every case folder under data/eval and data/ads, sorted by show then name."""
    found = []
    for group in ("eval", "ads"):
        base = data / group
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if (folder / "transcript.txt").is_file():
                found.append(Case(folder.name, _show(folder), folder))
    return sorted(found, key=lambda case: (case.show, case.name))


def folds(cases: list[Case]) -> dict[str, list[Case]]:
    """Show -> its cases: leave one show out at a time."""
    result: dict[str, list[Case]] = {}
    for case in cases:
        result.setdefault(case.show, []).append(case)
    return result


if __name__ == "__main__":
    for case in all_cases():
        print(f"{case.show:24} {case.name:40} keypoints={case.has_keypoints!s:5} ads={case.has_ads!s:5} "
              f"questions={case.has_questions!s:5} punctuated={case.punctuated}")
