"""gunicorn settings for the dashboard (`gunicorn -c dashboard/gunicorn_conf.py ...`).

DASH.md (plotly/dash#3971): with threaded workers some cold page loads came up blank; one
request per worker right after it starts warms Dash's caches, so no screen sees a cold worker.
"""

import os

bind = os.environ.get("IOC_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("IOC_WORKERS", "4"))
threads = int(os.environ.get("IOC_THREADS", "4"))
worker_class = "gthread"
timeout = 60
accesslog = "-"


def post_worker_init(worker) -> None:
    app = worker.wsgi
    with app.test_client() as client:
        client.get("/")
        client.get("/_dash-layout")
        client.get("/_dash-dependencies")
