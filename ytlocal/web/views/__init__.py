"""One module per page of ``ytlocal serve``; each view reads the request, calls the API or the library,
and renders a template."""
