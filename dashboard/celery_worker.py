"""The Celery worker that runs the dashboard's background jobs (report packs) when `REDIS_URL`
is set: `celery -A dashboard.celery_worker worker --concurrency 1` (`ioc run` starts one).

It builds the web app so that Dash registers the background callbacks it will be asked to run.
"""

from __future__ import annotations

from dashboard.wsgi import create_app

_app = create_app()
if "ioc_celery" not in _app.extensions:
    raise RuntimeError("REDIS_URL is not set: background jobs run beside the web workers "
                       "(diskcache), no Celery worker is needed")
celery = _app.extensions["ioc_celery"]
