"""What a citizen sees of their own report, found by tracking code and phone number (D10-D11).

A wrong phone and an unknown code get the same answer, so codes cannot be probed. The citizen
sees their own private answer (D10.3); a state-secret answer is never shown here (D10.4).
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select

from backend import vietnamese as vn
from backend.config import LOCAL_TZ as LOCAL
from backend.domain.roles import Role
from backend.domain.workflow import RATINGS, STATE_LABELS_VI, Actor, State
from backend.services.errors import NotFound, ValidationError
from backend.services.intake.validation import clean_text, normalise_phone
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Agency, Event, Report

CITIZEN = Actor("citizen", Role.CITIZEN)

# what each step means to a citizen (the staff-side detail stays with the staff)
CITIZEN_STEPS = {
    "submit": "Đã gửi phản ánh",
    "request_supplement": "IOC đề nghị bổ sung thông tin",
    "supplement": "Đã bổ sung thông tin",
    "reject": "Phản ánh không được xử lý",
    "accept": "IOC đã tiếp nhận",
    "forward": "Đã chuyển cơ quan có thẩm quyền xử lý",
    "direct": "Đã chuyển cơ quan xử lý theo chỉ đạo của UBND tỉnh",
    "receive": "Cơ quan xử lý đã tiếp nhận",
    "progress_notice": "Cơ quan xử lý thông báo đang tiếp tục giải quyết",
    "publish": "Đã có kết quả xử lý",
    "feedback": "Đã gửi phản hồi, đánh giá",
    "reopen": "Đã chuyển lại cơ quan xử lý để làm rõ",
    "close": "Đã kết thúc",
}
CITIZEN_NOTE_STEPS = ("request_supplement", "reject", "progress_notice")


def _find(session, code: str, phone: Any) -> Report:
    try:
        wanted = normalise_phone(phone)
    except ValidationError:
        raise NotFound("Không tìm thấy phản ánh với mã và số điện thoại này.") from None
    code = code.strip().upper()
    report = None if "\x00" in code else session.scalar(select(Report).where(Report.code == code))
    if report is None or not hmac.compare_digest(report.reporter_phone or "", wanted):
        raise NotFound("Không tìm thấy phản ánh với mã và số điện thoại này.")
    return report


def track(code: str, phone: Any, url: str | None = None) -> dict[str, Any]:
    """The report as its reporter follows it: state in plain words, steps with dates, the answer."""
    with session_factory(url)() as session:
        report = _find(session, code, phone)
        events = list(session.scalars(select(Event).where(Event.stream == report.code)
                                      .order_by(Event.seq)))
        agency = session.get(Agency, report.agency_code) if report.agency_code else None
    steps = [{"at": e.at.astimezone(LOCAL).isoformat(),
              "date": vn.date_time(e.at),
              "step": CITIZEN_STEPS[e.action],
              "note": e.note if e.action in CITIZEN_NOTE_STEPS else None}
             for e in events if e.action in CITIZEN_STEPS]
    state = State(report.state)
    asked = None
    if state is State.NEEDS_SUPPLEMENT:
        asked = next((e.note for e in reversed(events) if e.action == "request_supplement"), None)
    answer = None
    if report.published_at is not None and not report.state_secret:
        answer = report.answer_text
    elif report.state_secret and report.published_at is not None:
        answer = "Kết quả được trả lời theo quy định của pháp luật về bảo vệ bí mật nhà nước."
    return {
        "code": report.code, "state": report.state, "state_label": STATE_LABELS_VI[state],
        "submitted_at": report.submitted_at.astimezone(LOCAL).isoformat(),
        "agency": agency.name if agency else None, "steps": steps,
        "asked_to_supplement": asked, "answer": answer, "rating": report.rating,
        "rating_label": RATINGS.get(report.rating) if report.rating else None,
        "can_supplement": state is State.NEEDS_SUPPLEMENT,
        "can_give_feedback": state in (State.PUBLISHED, State.ANSWERED_PRIVATELY),
        "ratings": RATINGS,
    }


def citizen_step(code: str, body: dict[str, Any], now: datetime | None = None,
                 url: str | None = None) -> dict[str, Any]:
    """`supplement` (D7.2b) or `feedback` (D11) by the reporter, proven by their phone."""
    if not isinstance(body, dict):
        raise ValidationError("body", "Dữ liệu gửi lên phải là một đối tượng JSON.")
    action = body.get("action")
    if action not in ("supplement", "feedback"):
        raise ValidationError("action", "Thao tác phải là 'supplement' (bổ sung) hoặc "
                                        "'feedback' (phản hồi, đánh giá).")
    with session_factory(url)() as session:
        report = _find(session, code, body.get("phone"))
    if action == "supplement":
        params = {"text": clean_text(body.get("text"), "text", max_len=2000, multiline=True)}
    else:
        params = {"rating": body.get("rating"),
                  "reply": clean_text(body.get("reply"), "reply", max_len=2000, required=False,
                                      multiline=True)}
    perform_action(report.code, action, CITIZEN, params, now=now, url=url)
    return track(report.code, body.get("phone"), url=url)
