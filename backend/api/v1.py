"""The native REST API under /api/v1: citizens submit and follow; staff work their queues.

Thin by design: parse the request, call one service, shape the answer. Rules live in services.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from backend.config import LOCAL_TZ as LOCAL
from backend.domain.roles import IOC_ROLES, WORKFLOW_ROLES, Role
from backend.domain.workflow import ACTIONS, Actor, Forbidden
from backend.services.errors import ValidationError
from backend.services.intake import submissions, tracking
from backend.services.intake.validation import parse_bool
from backend.services.reads import queries
from backend.services.workflow.steps import perform_action
from backend.web.errors import api_error
from backend.web.extensions import client_address, limiter
from backend.web.signin import staff_required

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
MAX_JSON_DEPTH = 20


def _json_body() -> dict[str, Any]:
    """A JSON object body, or a clear 400/415 (TESTPLAN 1)."""
    if not request.is_json:
        raise _BadRequest(415, "unsupported_media_type",
                          "Nội dung phải là JSON (Content-Type: application/json).")
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if limit is not None and request.content_length is None and len(raw) >= limit:
        # a body streamed without Content-Length (chunked) is cut off at the limit: werkzeug
        # hands back the first `limit` bytes without raising, so refuse it here (TESTPLAN 5)
        raise RequestEntityTooLarge()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _BadRequest(400, "invalid_encoding", "Nội dung phải được mã hóa UTF-8.") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise _BadRequest(400, "invalid_json", "JSON lồng nhau quá sâu.")
    try:
        body = json.loads(text, object_pairs_hook=_no_duplicates)
    except (ValueError, RecursionError):
        raise _BadRequest(400, "invalid_json", "JSON không hợp lệ.") from None
    if not isinstance(body, dict):
        raise _BadRequest(400, "invalid_json", "Nội dung JSON phải là một đối tượng.")
    try:  # a "\ud800" escape is valid JSON but no text: it cannot be stored (TESTPLAN 1)
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _BadRequest(400, "invalid_encoding", "Nội dung phải được mã hóa UTF-8.") from None
    return body


def _depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate keys")
    return dict(pairs)


class _BadRequest(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.errorhandler(_BadRequest)
def _bad_request(error: _BadRequest):
    return api_error(error.status, error.code, error.message)


# --- citizens --------------------------------------------------------------------------------

@bp.post("/reports")
@limiter.limit(lambda: current_app.config.get("IOC_SUBMIT_RATE", "30 per minute"),
               key_func=client_address)
def submit():
    """A citizen's report (JSON, or multipart with photos/videos). 201 only after the commit."""
    uploads: list[submissions.Upload] = []
    if request.mimetype == "multipart/form-data":
        data: dict[str, Any] = request.form.to_dict()
        for kind, name in (("photo", "photos"), ("video", "videos")):
            for item in request.files.getlist(name):
                uploads.append(submissions.Upload(kind, item.read(), item.filename))
    else:
        data = _json_body()
    status, body = submissions.submit_citizen_report(
        data, uploads, request.headers.get("Idempotency-Key"),
        default_channel=current_app.config.get("IOC_DEFAULT_CHANNEL", "api"))
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = f"/api/v1/track/{body['code']}"
    return response


@bp.get("/track/<code>")
@limiter.limit("60 per minute", key_func=client_address)
def track(code: str):
    return jsonify(tracking.track(code, request.args.get("phone")))


@bp.post("/track/<code>")
@limiter.limit("20 per minute", key_func=client_address)
def track_step(code: str):
    return jsonify(tracking.citizen_step(code, _json_body()))


# --- staff -----------------------------------------------------------------------------------

def _optional_bool(name: str) -> bool | None:
    value = request.args.get(name)
    return None if value in (None, "") else parse_bool(value, name)


def _optional_instant(name: str) -> datetime | None:
    value = request.args.get(name)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(name, f"'{name}' phải là ngày giờ ISO 8601.") from None
    try:
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL)).astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+07:00: before the first UTC instant
        raise ValidationError(name, f"'{name}' nằm ngoài khoảng thời gian hợp lệ.") from None


def _int_arg(name: str, default: int) -> int:
    value = request.args.get(name)
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise ValidationError(name, f"'{name}' phải là số nguyên.") from None


@bp.get("/reports")
@staff_required()
def list_reports():
    """The caller's queue: filters state, field, agency, area, unit, overdue, at_risk, emergency,
    q (text), from/to (submission period); paginated."""
    states = tuple(s for s in (request.args.get("state") or "").split(",") if s)
    filters = queries.Filters(
        states=states, field=request.args.get("field") or None,
        agency=request.args.get("agency") or None, area=request.args.get("area") or None,
        unit=request.args.get("unit") or None,
        overdue=_optional_bool("overdue"), at_risk=_optional_bool("at_risk"),
        emergency=_optional_bool("emergency"), text=request.args.get("q") or None,
        since=_optional_instant("from"), until=_optional_instant("to"))
    return jsonify(queries.list_reports(g.staff, filters, page=_int_arg("page", 1),
                                        per_page=_int_arg("per_page", 50)))


@bp.get("/reports/<code>")
@staff_required()
def report_detail(code: str):
    return jsonify(queries.report_detail(code, g.staff, client=client_address()))


TEXT_PARAMS = ("note", "field", "agency", "reason", "missing", "result", "answer", "rating",
               "reply", "direction", "text")


def _check_step_params(body: dict[str, Any]) -> None:
    """Parameters of a step have their documented types, and no U+0000 (PostgreSQL text cannot
    hold it): a malformed step is a 422 naming the parameter, never a 500."""
    def refuse(name: str, what: str) -> ValidationError:
        return ValidationError(name, f"Trường '{name}' phải là {what}.", code="invalid_param")

    for name in TEXT_PARAMS:
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise refuse(name, "chuỗi văn bản")
        if value is not None and "\x00" in value:
            raise refuse(name, "văn bản không chứa ký tự NUL")
    agencies = body.get("agencies")
    if agencies is not None and (not isinstance(agencies, list) or not all(
            isinstance(a, str) and "\x00" not in a for a in agencies)):
        raise refuse("agencies", "danh sách mã cơ quan")
    if body.get("emergency") is not None:
        body["emergency"] = parse_bool(body["emergency"], "emergency")


@bp.post("/reports/<code>/actions/<action>")
@staff_required(*WORKFLOW_ROLES)
def act(code: str, action: str):
    """One workflow step: 200 with the new state; 409 illegal or stale; 403 role; 404 scope."""
    body = _json_body()
    queries.check_visible(code, g.staff, client=client_address())
    if action not in ACTIONS:
        return api_error(404, "unknown_action", f"Không có thao tác '{action}'.")
    version = body.pop("version", None)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise ValidationError("version", "'version' phải là số nguyên.")
    _check_step_params(body)
    try:
        actor = Actor(g.staff.username, Role(g.staff.role), g.staff.agency_code)
    except ValueError:
        raise Forbidden("forbidden_role", "Vai trò của bạn không thực hiện thao tác xử lý.") from None
    report = perform_action(code, action, actor, body, version=version)
    return jsonify({"code": report.code, "state": report.state, "version": report.version,
                    "stage": report.stage, "stage_due": queries.iso(report.stage_due)})


@bp.post("/reports/<code>/identity-grants")
@staff_required(*IOC_ROLES)
def grant_identity(code: str):
    """D13.3: let an agency see the reporter's identity (never for a confidential report)."""
    body = _json_body()
    agency = body.get("agency")
    if not isinstance(agency, str) or not agency:
        raise ValidationError("agency", "Cần chọn cơ quan được xem thông tin người phản ánh.")
    queries.grant_identity(code, agency, g.staff)
    return jsonify({"code": code, "agency": agency, "granted": True})
