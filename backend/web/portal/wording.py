"""A report's state as its citizen reads it: plain titles, meanings, durations from the clocks.

The durations a citizen is promised ("trong ½ ngày làm việc") are the stage budgets in force
(`data/sla.toml` with the administrator's changes, `backend.services.clocks`), written the way
the regulation writes each one: verify, forward and process in working days (D6.2, D7.1, D8),
publish in working hours (D10.1). A budget that is not whole or half days reads in hours.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend import vietnamese as vn
from backend.domain.sla import SlaPolicy
from backend.domain.workflow import State
from backend.services import clocks

PROGRESS = ("Đã gửi", "Đã tiếp nhận", "Đang xử lý", "Có kết quả")

@dataclass(frozen=True)
class CitizenState:
    """A state as a citizen reads it: a title, what it means, and the progress step (1-4)."""

    title: str
    meaning: str
    step: int
    tone: str = "info"  # info / action / done / stop


def working_time(minutes: int, unit: str = "day") -> str:
    """A stage's budget as the citizen reads it, in the regulation's unit: days for verify,
    forward and process when they are whole or half days (240 -> "½ ngày làm việc"), else and
    for `unit="hour"` hours (240 -> "4 giờ làm việc", 90 -> "1,5 giờ làm việc")."""
    amount = (vn.working_time(minutes, halves=True) if unit == "day"
              else vn.hours_minutes(minutes, half_hours=True))
    return f"{amount} làm việc"


def citizen_state(state: str, agency: str | None, policy: SlaPolicy | None = None) -> CitizenState:
    """The report's state in plain words (no internal jargon); durations from `policy` (the
    stage budgets in force, `clocks.policy_in_force()`; the file's when None)."""
    budgets = (policy or clocks.sla_policy()).budgets

    def within(stage: str, unit: str = "day") -> str:
        return working_time(budgets[stage].minutes, unit)

    who = agency or "Cơ quan có thẩm quyền"
    words = {
        State.SUBMITTED: CitizenState(
            "Đã nhận, đang kiểm tra", "IOC Thái Nguyên đang kiểm tra nội dung phản ánh "
            f"(trong {within('verify')}).", 1),  # D6.2
        State.NEEDS_SUPPLEMENT: CitizenState(
            "Cần bạn bổ sung thông tin", "Phản ánh chưa đủ rõ để xử lý. Vui lòng bổ sung theo "
            "đề nghị bên dưới.", 1, "action"),
        State.REJECTED: CitizenState(
            "Phản ánh không được xử lý", "Phản ánh không đáp ứng yêu cầu hoặc không thuộc phạm vi "
            "tiếp nhận; lý do ghi ở các bước bên dưới.", 1, "stop"),
        State.ACCEPTED: CitizenState(
            "Đã tiếp nhận", "IOC đã tiếp nhận và đang chuyển đến cơ quan có thẩm quyền "
            f"(trong {within('forward')}).", 2),  # D7.1
        State.ESCALATED: CitizenState(
            "Đang chờ UBND tỉnh chỉ đạo", "Phản ánh liên quan nhiều cơ quan; UBND tỉnh sẽ chỉ đạo "
            "cơ quan xử lý.", 2),
        State.RETURNED_TO_IOC: CitizenState(
            "Đang chuyển đúng cơ quan xử lý", "IOC đang chuyển phản ánh đến đúng cơ quan có "
            "thẩm quyền.", 2),
        State.FORWARDED: CitizenState(
            "Đã chuyển cơ quan xử lý", f"{who} đã nhận phản ánh để xử lý "
            f"(tối đa {within('process')}).", 3),  # D8 bước 3
        State.IN_PROGRESS: CitizenState(
            "Đang xử lý", f"{who} đang kiểm tra, xử lý tại hiện trường.", 3),
        State.AWAITING_APPROVAL: CitizenState(
            "Đã có kết quả, đang chờ duyệt", f"{who} đã xử lý xong; lãnh đạo đơn vị đang duyệt "
            "kết quả.", 3),
        State.APPROVED: CitizenState(
            "Kết quả đã được duyệt", "IOC đang biên tập để gửi kết quả cho bạn "
            f"(trong {within('publish', 'hour')}).", 3),  # D10.1
        State.PUBLISHED: CitizenState(
            "Đã có kết quả xử lý", "Kết quả đã được công khai. Bạn có thể phản hồi và đánh giá.",
            4, "done"),
        State.ANSWERED_PRIVATELY: CitizenState(
            "Đã có kết quả (gửi riêng cho bạn)", "Kết quả chỉ gửi riêng cho bạn, không công "
            "khai. Bạn có thể phản hồi và đánh giá.", 4, "done"),
        State.CLOSED: CitizenState("Đã kết thúc", "Phản ánh đã được xử lý xong.", 4, "done"),
    }
    return words[State(state)]


def intake_promise(policy: SlaPolicy | None = None) -> str:
    """What the receipt promises a citizen (D6.2, D7.1, D8 bước 3), from the budgets in force."""
    budgets = (policy or clocks.policy_in_force()).budgets
    return (f"IOC Thái Nguyên kiểm tra phản ánh trong {working_time(budgets['verify'].minutes)}, "
            "chuyển cơ quan có thẩm quyền trong "
            f"{working_time(budgets['forward'].minutes)}; cơ quan xử lý trong tối đa "
            f"{working_time(budgets['process'].minutes)}.")
