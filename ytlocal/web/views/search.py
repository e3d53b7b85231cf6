"""Search: passages across the library for the words typed, with the matched words highlighted, each
opening its video at that moment. The library ranks (bm25 today; its signature stays when it gets
vectors)."""

from __future__ import annotations

from ..templating import render, state_of

LIMIT = 30


def page(request):
    state = state_of(request)
    query = request.query_params.get("q", "").strip()[:500]
    video = request.query_params.get("video", "").strip()[:300] or None
    hits = state.library.search(query, video=video, limit=LIMIT) if query else []
    playable = {hit.video_id: state.library.media_file(hit.video_id) is not None for hit in hits}
    return render(request, "search.html", {"query": query, "video": video, "hits": hits, "playable": playable},
                  active="search")
