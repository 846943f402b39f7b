"""The Dash app, built by a factory on the Flask server (DASH.md: no global callbacks).

Where things are:
- `pages.py`: the list of pages (`PAGES`), with their paths, menu labels, roles, layout and
  callbacks;
- `layouts/`: what is drawn, one module (or folder) per page, and the frame around the pages
  (`shell`: the menu and the page area; `login`; `not_found`);
- `callbacks/`: what it does, one module (or folder) per page, the frame's (`router`, `login`)
  and the workflow pages' shared wiring (`workflow`);
- `widgets/`: pieces several pages share (map, work queue, report panel, workflow action forms);
- `access.py` (who is looking), `lookups.py` (names and choices), `cache.py` (the shared cache).
"""

from __future__ import annotations

from pathlib import Path

from dash import Dash
from flask import Flask

from backend.config import var_dir
from backend.web.settings import redis_url
from dashboard import cache
from dashboard.callbacks import login, router
from dashboard.layouts import shell
from dashboard.pages import PAGES

ASSETS = Path(__file__).parent / "assets"


def background_manager(server: Flask):
    """Where Dash background callbacks (the leaders' report packs) run: Celery on Redis when
    `REDIS_URL` is set (its app is `server.extensions["ioc_celery"]`; a worker builds the web
    app to register the callbacks, then runs that Celery app), else a process started beside
    the web worker, with results in a diskcache folder under var/ shared by this machine's
    workers."""
    url = redis_url()
    if url:
        from celery import Celery  # noqa: PLC0415 - only with Redis
        from dash import CeleryManager  # noqa: PLC0415

        celery = Celery("ioc-dashboard", broker=url, backend=url)
        server.extensions["ioc_celery"] = celery
        return CeleryManager(celery)
    import diskcache  # noqa: PLC0415
    from dash import DiskcacheManager  # noqa: PLC0415

    folder = Path(var_dir()) / "dash-jobs"
    folder.mkdir(parents=True, exist_ok=True)
    return DiskcacheManager(diskcache.Cache(str(folder)))


def create_dash(server: Flask) -> Dash:
    """Mount the dashboard on `server` at `/` (API routes keep their own paths)."""
    app = Dash(
        __name__,
        server=server,
        url_base_pathname="/",
        assets_folder=str(ASSETS),
        serve_locally=True,
        compress=True,
        title="IOC Thái Nguyên · Phản ánh hiện trường",
        update_title=None,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        background_callback_manager=background_manager(server),
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="vi">', 1)
    app.layout = shell.layout
    app.validation_layout = shell.validation_layout()
    cache.init_app(server)
    _time_callbacks(server)
    router.register(app)
    login.register(app)
    for page in PAGES:
        page.register(app)
    return app


def _time_callbacks(server: Flask) -> None:
    """`Server-Timing: app;dur=<ms>` on every callback answer: what `ioc bench dashboard` reads
    as server time, and what an operator sees in the browser's network panel."""
    from time import perf_counter

    from flask import g, request

    @server.before_request
    def start_timer():
        if request.path.startswith("/_dash-update-component"):
            g.callback_started = perf_counter()

    @server.after_request
    def add_timing(response):
        started = g.pop("callback_started", None)
        if started is not None:
            response.headers["Server-Timing"] = f"app;dur={(perf_counter() - started) * 1000:.1f}"
        return response
