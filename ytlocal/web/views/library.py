"""The library (home page): every video with its title, channel, duration, date and the first line of
its summary; sorted, filtered by title or channel, paginated (a page reads one page of rows)."""

from __future__ import annotations

from ..templating import render, state_of

MAX_PAGE = 10 ** 6  # a page number beyond any library (SQLite's OFFSET is a 64-bit integer)
SORT_LABELS = {"added": "Added", "date": "Date", "title": "Title", "channel": "Channel", "duration": "Duration"}


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def home(request):
    state = state_of(request)
    params = request.query_params
    sort = params.get("sort", "added")
    sort = sort if sort in SORT_LABELS else "added"
    order = "asc" if params.get("order") == "asc" else "desc"
    text = params.get("filter", "").strip()[:200]
    size = state.options.page_size
    page_number = min(MAX_PAGE, max(1, _int(params.get("page"), 1)))
    page = state.library.page(text=text or None, sort=sort, descending=order == "desc",
                              offset=(page_number - 1) * size, limit=size)
    pages = max(1, -(-page.total // size))
    beyond = page.total > 0 and page_number > pages  # "no such page", never "the library is empty" beside its count
    return render(request, "library.html", {
        "page": page, "sort": sort, "order": order, "filter": text, "page_number": page_number, "pages": pages,
        "sorts": SORT_LABELS, "beyond": beyond}, status=404 if beyond else 200, active="library")
