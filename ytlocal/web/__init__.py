"""``ytlocal serve``: a local web app to read, search, ask and queue, over what ytlocal already has.

Laid out like Datasette: :mod:`.app` builds the application (routes, the shared state, start and stop
of the queue), :mod:`.security` is the middleware every request passes first, :mod:`.views` holds one
module per page, ``templates/`` the Jinja2 pages (autoescaped: everything from a video is text) and
``static/`` the one stylesheet and the one script of our own. Nothing comes from another host.

The web layer only calls the public API and the library (:class:`ytlocal.api.Session`,
:class:`ytlocal.library.Library`, :class:`ytlocal.batch.BatchQueue`): no SQL, summarization or
transcription lives here, and long work goes through the batch job list, never inside a request.
"""
