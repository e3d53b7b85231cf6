"""What a batch tells its user: the morning report (counts, speed, per-worker load, failures), the
``--status`` table, and the output folder's ``index.md``, all read from the job list's rows
(:class:`ytlocal.jobs.JobList`; any object with ``rows()`` will do, so this module knows nothing of it)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from .render import clock, md_escape
from .files import atomic_write_text, utc_timestamp

INDEX_NAME = "index.md"


class JobRows(Protocol):
    """The job list as this module reads it: its rows (``sqlite3.Row``), in position order."""

    def rows(self) -> Sequence[Any]: ...


@dataclass
class WorkerLoad:
    """What one cluster worker did: videos, audio seconds, and the seconds it spent on them."""

    videos: int = 0
    audio_s: float = 0.0
    busy_s: float = 0.0

    def add(self, audio_s: float, busy_s: float) -> None:
        self.videos += 1
        self.audio_s += audio_s
        self.busy_s += busy_s

    def describe(self) -> str:
        speed = f", {self.audio_s / self.busy_s:.1f}x real time" if self.busy_s > 0 and self.audio_s else ""
        return f"{self.videos} video(s), audio {self.audio_s / 3600:.2f} h{speed}"


@dataclass
class Report:
    done: int = 0
    skipped: int = 0
    pending: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (title or label, kind, error)
    audio_s: float = 0.0
    processed_audio_s: float = 0.0
    wall_s: float = 0.0
    done_this_run: int = 0
    workers: dict[str, WorkerLoad] = field(default_factory=dict)  # cluster batches: by worker address
    cancelled: int = 0

    @property
    def rtf(self) -> float | None:
        return self.processed_audio_s / self.wall_s if self.wall_s > 0 and self.processed_audio_s else None

    def processed(self, audio_s: float | None) -> None:
        """Count a video this run finished (``audio_s`` None: it did not)."""
        if audio_s is not None:
            self.processed_audio_s += audio_s
            self.done_this_run += 1

    def lines(self) -> list[str]:
        cancelled = f", cancelled {self.cancelled}" if self.cancelled else ""
        out = [f"done {self.done}, failed {len(self.failures)}, skipped {self.skipped}{cancelled}, pending "
               f"{self.pending}; audio {self.audio_s / 3600:.2f} h in done videos"]
        if self.wall_s:
            speed = f", {self.rtf:.1f}x real time" if self.rtf else ""
            out.append(f"this run: {self.done_this_run} done in {self.wall_s:.1f} s wall{speed}")
        for address, load in sorted(self.workers.items()):
            out.append(f"worker {address}: {load.describe()}")
        for name, kind, error in self.failures:
            out.append(f"FAILED ({kind}) {error if name in error else f'{name}: {error}'}")
        return out


def report_from(jobs: JobRows) -> Report:
    report = Report()
    for row in jobs.rows():
        if row["state"] == "done":
            report.done += 1
            report.audio_s += row["duration"] or 0.0
            if row["worker"]:
                busy = sum(row[column] or 0.0 for column in ("acquire_s", "transcribe_s", "summarize_s"))
                report.workers.setdefault(row["worker"], WorkerLoad()).add(row["duration"] or 0.0, busy)
        elif row["state"] == "failed":
            report.failures.append((row["title"] or row["label"], row["error_kind"] or "permanent", row["error"] or "?"))
        elif row["state"] == "skipped":
            report.skipped += 1
        elif row["state"] == "cancelled":
            report.cancelled += 1
        else:
            report.pending += 1
    return report


def status_table(jobs: JobRows) -> list[str]:
    rows = jobs.rows()
    lines = [f"{'#':>3}  {'state':<11} {'duration':>8} {'tries':>5}  title / source"]
    for row in rows:
        duration = clock(row["duration"]) if row["duration"] else "-"
        name = row["title"] or row["label"]
        line = f"{row['position'] + 1:>3}  {row['state']:<11} {duration:>8} {row['attempts']:>5}  {name}"
        if row["state"] == "failed":
            line += f"  [{row['error_kind']}: {row['error']}]"
        lines.append(line)
    return lines


def write_index(jobs: JobRows, out_dir: Path) -> None:
    """``index.md``: every finished summary with its title, channel, duration and TL;DR."""
    lines = ["# ytlocal summaries", "", f"Updated {utc_timestamp()}.", ""]
    for row in jobs.rows():
        if row["state"] != "done" or not row["output"]:
            continue
        link = urllib.parse.quote(Path(row["output"]).name)
        meta = " · ".join(part for part in (row["channel"], clock(row["duration"]) if row["duration"] else None) if part)
        lines.append(f"- [{md_escape(row['title'] or row['label'])}]({link})" + (f" — {md_escape(meta)}" if meta else ""))
        if row["tldr"]:
            lines.append(f"  {md_escape(row['tldr'])}")
    failed = [row for row in jobs.rows() if row["state"] == "failed"]
    if failed:
        lines += ["", "## Failed", ""]
        for row in failed:
            name, error = row["title"] or row["label"], row["error"] or "?"
            lines.append(f"- {md_escape(error if name in error else f'{name}: {error}')}")
    atomic_write_text(Path(out_dir) / INDEX_NAME, "\n".join(lines) + "\n")


__all__ = ["INDEX_NAME", "JobRows", "Report", "WorkerLoad", "report_from", "status_table", "write_index"]
