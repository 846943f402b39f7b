"""Tra cứu: one's own report by code and phone; supplement (D7.2b), reply and rate it (D11)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request

from backend.domain.workflow import RATINGS, WorkflowError
from backend.services.clocks import policy_in_force
from backend.services.errors import NotFound
from backend.services.intake import tracking
from backend.web.extensions import client_address, limiter
from backend.web.portal.blueprint import bp
from backend.web.portal.wording import PROGRESS, citizen_state


def _track_page(found: dict[str, Any] | None, *, code: str = "", phone: str = "",
                errors: dict[str, str] | None = None, notice: str | None = None,
                values: dict[str, str] | None = None, status: int = 200):
    state = (citizen_state(found["state"], found.get("agency"), policy_in_force())
             if found else None)
    return render_template(
        "portal/track.html", found=found, state=state, progress=PROGRESS, code=code,
        phone=phone, errors=errors or {}, notice=notice, values=values or {},
        ratings=RATINGS), status


def _code_and_phone() -> tuple[str, str]:
    return ((request.form.get("code") or "").strip().upper()[:40],
            (request.form.get("phone") or "").strip()[:40])


@bp.get("/track")
def track_form():
    """Tra cứu: the code and phone form (the code may come from the receipt's link)."""
    code = (request.args.get("code") or "").strip().upper()[:20]
    return _track_page(None, code=code)


@bp.post("/track")
@limiter.limit("60 per minute", key_func=client_address)
def track_lookup():
    """Find one's own report by code and phone (POST: the phone never goes into a URL)."""
    code, phone = _code_and_phone()
    errors = {}
    if not code:
        errors["code"] = "Vui lòng nhập mã phản ánh (ví dụ PA-2026-000123)."
    if not phone:
        errors["phone"] = "Vui lòng nhập số điện thoại đã dùng khi gửi phản ánh."
    if errors:
        return _track_page(None, code=code, phone=phone, errors=errors, status=422)
    try:
        found = tracking.track(code, phone)
    except NotFound as error:
        return _track_page(None, code=code, phone=phone, errors={"code": error.message},
                           status=404)
    return _track_page(found, code=found["code"], phone=phone)


@bp.post("/track/step")
@limiter.limit("20 per minute", key_func=client_address)
def track_step():
    """Supplement (D7.2b) or reply and rate (D11) by the reporter, proven by their phone."""
    code, phone = _code_and_phone()
    action = request.form.get("action")
    values = {name: request.form.get(name, "") for name in ("text", "rating", "reply")}
    body: dict[str, Any] = {"action": action, "phone": phone}
    if action == "supplement":
        body["text"] = values["text"]
    else:
        body["rating"] = values["rating"] or None
        body["reply"] = values["reply"]
    try:
        found = tracking.citizen_step(code, body)
    except NotFound as error:
        return _track_page(None, code=code, phone=phone, errors={"code": error.message},
                           status=404)
    except WorkflowError as error:
        try:
            current = tracking.track(code, phone)
        except NotFound:
            current = None
        slot = error.field if error.field in ("text", "rating", "reply") else "step"
        return _track_page(current, code=code, phone=phone, errors={slot: error.message},
                           values=values, status=409 if slot == "step" else 422)
    notice = ("Đã gửi thông tin bổ sung. IOC sẽ kiểm tra lại phản ánh." if action == "supplement"
              else "Cảm ơn bạn đã phản hồi, đánh giá kết quả xử lý.")
    return _track_page(found, code=found["code"], phone=phone, notice=notice)
