"""Arrows point down: no module of ytlocal imports, at the top or inside a function, a module that imports
it back (a lazy import hides a circle, it does not remove it). The click commands registering
themselves on the group (`from . import cli`) are the one known exception."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "ytlocal"
KNOWN = {frozenset({"ytlocal.cli", "ytlocal.cli.commands", "ytlocal.cli.doctor", "ytlocal.cli.library",
                    "ytlocal.cli.models"})}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every ytlocal module ``name`` imports, wherever the import statement is (function bodies and
    TYPE_CHECKING blocks included). The package itself (``from . import __version__``) is left out: every
    submodule imports its package."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            targets.update(f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                           for alias in node.names)
        elif isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
    resolved = set()
    for target in targets:
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target not in (name, "ytlocal"):
            resolved.add(target)
    return resolved


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items() if name != "ytlocal"}


def test_no_module_imports_one_that_imports_it_back():
    assert [sorted(component) for component in cycles(graph()) if component not in KNOWN] == []


def test_records_know_nobody_above_them_and_the_runners_share_only_the_job_list():
    edges = graph()
    assert edges["ytlocal.records"] <= {"ytlocal.naming"}
    assert "ytlocal.render" not in edges["ytlocal.records"]
    assert "ytlocal.batch" not in edges["ytlocal.cluster"] and "ytlocal.cluster" not in edges["ytlocal.jobs"]
    assert edges["ytlocal.db"] <= {"ytlocal.errors"}
    web = {name for name in edges if name.startswith("ytlocal.web")}
    for name in web:  # the web layer calls the API, the library and the queue; no stage of the pipeline
        assert not edges[name] & {"ytlocal.transcription", "ytlocal.summarization", "ytlocal.pipeline",
                                  "ytlocal.acquire", "ytlocal.runtime"}, name


ABOVE_THE_LIBRARY = ("ytlocal.summarization", "ytlocal.pipeline", "ytlocal.transcription", "ytlocal.acquire",
                     "ytlocal.batch", "ytlocal.jobs", "ytlocal.cluster", "ytlocal.answer", "ytlocal.api", "ytlocal.cli",
                     "ytlocal.web")


def _is_under(name: str, packages) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_the_library_imports_nothing_above_it():
    """The library is a store and a search: the ad finder for a transcript added without a summary is
    given by its caller (``Library(find_ads=...)``), never imported from the summarizer."""
    edges = graph()
    library = [name for name in edges if _is_under(name, ("ytlocal.library",))]
    assert "ytlocal.library.store" in library and "ytlocal.library.search" in library
    for name in library:
        assert not {target for target in edges[name] if _is_under(target, ABOVE_THE_LIBRARY)}, name


def test_the_transcript_suffixes_are_named_once_and_imported_from_the_transcript_files():
    """``TRANSCRIPT_SUFFIXES`` belongs to :mod:`ytlocal.transcript`: defined there alone, and every module
    that uses it (the library's importer among them) imports it from there, never from a module above."""
    defined, imported_from = [], {}
    for name, path in modules().items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "TRANSCRIPT_SUFFIXES"
                                                    for target in node.targets):
                defined.append(name)
            elif isinstance(node, ast.ImportFrom) and any(alias.name == "TRANSCRIPT_SUFFIXES" for alias in node.names):
                imported_from[name] = node.module
    assert defined == ["ytlocal.transcript"]
    assert "ytlocal.library.importing" in imported_from
    assert set(imported_from.values()) <= {"transcript", "ytlocal.transcript"}, imported_from


def test_the_cycle_finder_finds_a_lazy_circle():
    assert cycles({"a": {"b"}, "b": {"a"}, "c": {"a"}}) == [frozenset({"a", "b"})]


def test_result_render_and_write_still_work_through_the_package(tmp_path):
    import ytlocal  # noqa: F401  (the package wires the renderer into the records)
    from ytlocal.records import Media, Point, Result, Segment, Summary, Transcript

    media = Media(key="k", source="talk.srt", audio_path=None, title="Talk", extractor="transcript", video_id="t")
    summary = Summary("Talk", "Bees matter.", [Point("Bees carry pollen.", 3.0)], [], True, {"name": "m", "sha256": None},
                      {})
    result = Result("talk.srt", media=media, transcript=Transcript([Segment(0, 5, "Bees carry pollen.")]),
                    summary=summary)
    assert "## Key points" in result.render("md")
    assert [p.name for p in result.write(tmp_path, ["md", "txt"])] == ["Talk [t].md", "Talk [t].summary.txt"]


def test_the_records_the_api_returns_are_exported_with_their_types():
    import typing

    import ytlocal
    from ytlocal import api  # noqa: F401 (imported for its names below)
    from ytlocal.answer import Answer
    from ytlocal.library import Hit

    assert ytlocal.Hit is Hit and ytlocal.Answer is Answer and {"Hit", "Answer"} <= set(ytlocal.__all__)
    assert ytlocal.api.Hit is Hit and "Answer" in ytlocal.api.__all__
    assert typing.get_type_hints(api.Session.search)["return"] == list[Hit]
    assert typing.get_type_hints(api.Session.ask)["return"] is Answer
    assert typing.get_type_hints(api.search)["return"] == list[Hit] and typing.get_type_hints(api.ask)["return"] is Answer
