"""The whole web application: the API server with the dashboard mounted on it.

The composition root lives here, outside `backend/` (which knows nothing of Dash):
`gunicorn -c dashboard/gunicorn_conf.py 'dashboard.wsgi:create_app()'`, or `ioc run`.
"""

from __future__ import annotations

from flask import Flask

from backend.web.server import create_server
from dashboard.app import create_dash


def create_app(config: dict | None = None) -> Flask:
    server = create_server(config)
    create_dash(server)
    return server
