"""Search: passages across the library for the words typed, with the matched words highlighted, each
opening its video at that moment. The library ranks (bm25 fused with vectors when it has them);
passages inside ad reads are marked. An empty library says so, rather than that nothing matched."""

from __future__ import annotations

from ..templating import playable, render, state_of

LIMIT = 30


def page(request):
    state = state_of(request)
    query = request.query_params.get("q", "").strip()[:500]
    video = request.query_params.get("video", "").strip()[:300] or None
    hits = state.library.search(query, video=video, limit=LIMIT) if query else []
    return render(request, "search.html", {"query": query, "video": video, "hits": hits,
                                           "playable": playable(state.library, hits),
                                           "empty_library": bool(query) and not hits and state.library.is_empty()},
                  active="search")
