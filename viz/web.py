"""The Chinese single-page web app: served at ``/`` with its vendored assets under ``/static``.

The page is plain HTML + vanilla JS (no build step) that calls the JSON API; this module never
touches a store. Every asset is local (vis-network is vendored), so it works on an offline
intranet.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
INDEX = STATIC / "index.html"


def mount(app: FastAPI) -> None:
    """Serve the page at ``/`` and ``viz/static/`` at ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        # no-cache: after an upgrade the page must not pair an old index with new scripts
        return FileResponse(INDEX, media_type="text/html; charset=utf-8",
                            headers={"Cache-Control": "no-cache"})
