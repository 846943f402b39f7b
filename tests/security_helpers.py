"""Helpers shared by the security tests of the /api/v1 HTTP API (`test_security_*.py`): the
project's error shape, rows and files left behind, multipart submissions, workflow steps, media.

Plain functions, no fixtures (those are in `api_helpers.py`); registered for assertion rewriting
in `conftest.py`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from api_helpers import ACTORS, TO_PUBLISHED, new_key, report_body
from sqlalchemy import func, select

from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Report

VIETNAMESE = re.compile("[ăâđêôơưạảãàáẹẻẽèéịỉĩìíọỏõòóụủũùúỵỷỹỳý]", re.IGNORECASE)


def assert_error(response, status: int, error: str | None = None,
                 field: str | None = None) -> dict:
    """The project's error shape: JSON {error, message, field?}; nothing else."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) <= {"error", "message", "field"} and body["error"] and body["message"]
    if error is not None:
        assert body["error"] == error, body
    if field is not None:
        assert body.get("field") == field, body
    return body


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count_rows(url: str, model) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored(url: str, code: str) -> Report:
    with session_factory(url)() as session:
        return session.scalar(select(Report).where(Report.code == code))


def form_fields(**overrides) -> dict[str, str]:
    """report_body() as multipart form fields (booleans as "true"/"false")."""
    return {k: str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in report_body(**overrides).items()}


def post_multipart(client, files: dict[str, list[tuple[bytes, str]]], key: str | None = None,
                   **overrides):
    data: dict = form_fields(**overrides)
    for name, items in files.items():
        data[name] = [(io.BytesIO(content), filename) for content, filename in items]
    return client.post("/api/v1/reports", data=data, content_type="multipart/form-data",
                       headers={"Idempotency-Key": key or new_key()})


def advance(url: str, code: str, steps: int) -> None:
    """Take `code` (just submitted) through the first `steps` steps of TO_PUBLISHED."""
    for action, who, params in TO_PUBLISHED[:steps]:
        perform_action(code, action, ACTORS[who], params, url=url)


def get_media(client, attachment_id: int, public: bool = False):
    return client.get(f"/api/v1/media/{attachment_id}" + ("/public" if public else ""))
