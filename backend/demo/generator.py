"""A realistic, deterministic province history, generated in bulk with numpy.

Each report follows the path of Phụ lục I as a fixed sequence of optional *slots* (submit,
request_supplement, …, close). Per slot the generator draws, for a whole chunk of reports at
once, whether the step happens and when: working-time steps land on working minutes through the
vectorised calendar, citizen steps on clock time. A step later than `until` has not happened yet,
so recent reports stay open, and some of them overdue. Stored columns are then derived slot by
slot with the same effects `backend.services.workflow.steps` applies one step at a time, and events are
hash-chained exactly as `backend.services.audit` does.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd

from backend.domain.roles import AGENCY_ROLES, Role
from backend.domain.sla import SlaPolicy
from backend.domain.stages import current_stage
from backend.domain.workflow import State
from backend.domain.worktime import WorkCalendar
from backend.services.audit import canonical_json
from backend.services.intake.validation import CONSENT_VERSION
from backend.services.places.lookup import UNITS_2025_FROM
from backend.services.workflow.templates import fill_reply
from backend.storage.textsearch import search_document
from geo.sampling import sample_points

NAT = np.datetime64("NaT", "s")
SEC = np.timedelta64(1, "s")


@dataclass(frozen=True)
class Slot:
    action: str
    role: Role
    to_state: State


SLOTS: tuple[Slot, ...] = (
    Slot("submit", Role.CITIZEN, State.SUBMITTED),
    Slot("request_supplement", Role.IOC_HANDLER, State.NEEDS_SUPPLEMENT),
    Slot("supplement", Role.CITIZEN, State.SUBMITTED),
    Slot("reject", Role.IOC_HANDLER, State.REJECTED),
    Slot("accept", Role.IOC_HANDLER, State.ACCEPTED),
    Slot("escalate", Role.IOC_HANDLER, State.ESCALATED),
    Slot("direct", Role.PROVINCIAL_LEADER, State.FORWARDED),
    Slot("forward", Role.IOC_HANDLER, State.FORWARDED),
    Slot("receive", Role.AGENCY_HANDLER, State.IN_PROGRESS),  # at the wrong agency
    Slot("return_to_ioc", Role.AGENCY_HANDLER, State.RETURNED_TO_IOC),
    Slot("forward", Role.IOC_HANDLER, State.FORWARDED),  # to the right agency
    Slot("receive", Role.AGENCY_HANDLER, State.IN_PROGRESS),
    Slot("progress_notice", Role.AGENCY_HANDLER, State.IN_PROGRESS),
    Slot("submit_result", Role.AGENCY_HANDLER, State.AWAITING_APPROVAL),
    Slot("return_for_rework", Role.AGENCY_LEADER, State.IN_PROGRESS),
    Slot("submit_result", Role.AGENCY_HANDLER, State.AWAITING_APPROVAL),
    Slot("approve", Role.AGENCY_LEADER, State.APPROVED),  # or edit_and_approve
    Slot("publish", Role.IOC_HANDLER, State.PUBLISHED),  # or answered_privately
    Slot("feedback", Role.CITIZEN, State.PUBLISHED),  # stays in the answered state
    Slot("close", Role.IOC_HANDLER, State.CLOSED),
)
(S_SUBMIT, S_REQ_SUPP, S_SUPP, S_REJECT, S_ACCEPT, S_ESCALATE, S_DIRECT, S_FORWARD1, S_RECEIVE1,
 S_RETURN, S_FORWARD2, S_RECEIVE, S_NOTICE, S_RESULT1, S_REWORK, S_RESULT, S_APPROVE, S_PUBLISH,
 S_FEEDBACK, S_CLOSE) = range(len(SLOTS))


@dataclass
class World:
    """Everything the generator reads: calendar, budgets, reference data, texts and weights."""

    calendar: WorkCalendar
    policy: SlaPolicy
    gazetteer: object
    district_weights: pd.DataFrame  # population of the 17 former districts (demo weighting)
    fields: list[str]
    field_weights: np.ndarray
    agencies: dict[str, object]  # code -> refdata Agency
    route: dict[tuple[str, str | None], str]  # (field, unit) -> agency
    profiles: pd.DataFrame  # indexed by agency code
    texts: dict
    results: dict
    config: dict
    reply_agency_names: dict[str, str] = field(default_factory=dict)
    unit_names: dict[str, str] = field(default_factory=dict)  # unit code -> "phường X"
    former_names: dict[str, str] = field(default_factory=dict)  # former commune -> "xã Y"
    unit_area: dict[str, str] = field(default_factory=dict)  # unit code -> area code


def commune_label(world: World, former: str | None, unit: str | None) -> str:
    """Where a point is, as written mid-sentence ("phường Phan Đình Phùng"): the former commune
    for a report written before 1/7/2025 (`former` is only set then), else the unit."""
    name = world.former_names.get(former or "") or world.unit_names.get(unit or "")
    return name or "địa phương"


def _places(world: World, submitted: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Where each report is; the former units only for those made before 1/7/2025."""
    points = sample_points(world.gazetteer, len(submitted), rng, world.district_weights)
    older = before_units(submitted)
    for column in ("former_district_code", "former_commune_code"):
        points[column] = points[column].where(older, None)
    return points


def before_units(submitted: np.ndarray) -> np.ndarray:
    """Which instants (UTC datetime64) come before the units of 1/7/2025."""
    return submitted < np.datetime64(UNITS_2025_FROM.replace(tzinfo=None), "s")


@dataclass
class Chunk:
    """Generated rows of one chunk: report tuples and event tuples, ready for a bulk writer."""

    reports: list[tuple]
    events: list[tuple]
    users: set[tuple[str, str, str | None]]


REPORT_COLUMNS = (
    "id", "code", "channel", "submitted_at", "incident_at", "description", "address", "lat", "lon",
    "unit_code", "former_district_code", "former_commune_code", "reporter_name", "reporter_phone",
    "reporter_email", "confidential", "state_secret", "emergency", "field_code", "agency_code",
    "state", "version",
    "verify_start", "verify_due", "verify_done", "forward_start", "forward_due", "forward_done",
    "process_start", "process_due", "process_done", "approve_start", "approve_due", "approve_done",
    "publish_start", "publish_due", "publish_done",
    "received_at", "progress_notice_at", "result_text", "result_by", "answer_text", "published_at",
    "closed_at", "rating", "return_count", "rework_count", "reopen_count", "escalation_count",
    "updated_at", "event_seq", "last_event_hash", "consent_at", "consent_version",
    "stage", "stage_due", "stage_risk_at", "search_text",
)
EVENT_COLUMNS = ("stream", "seq", "report_id", "at", "actor", "role", "action", "from_state",
                 "to_state", "note", "data", "prev_hash", "hash")
FEEDBACK_COLUMNS = ("report_id", "at", "rating", "reply")
SUPPLEMENT_TEXT = "Tôi xin bổ sung ảnh chụp hiện trường và địa chỉ cụ thể."


def submission_times(
    n: int, start: datetime, until: datetime, rng: np.random.Generator, config: dict
) -> np.ndarray:
    """n sorted UTC instants: weekdays busier than weekends, office hours busier than night,
    and a gentle growth over the period (the channel getting known)."""
    local_start = np.datetime64(start.replace(tzinfo=None), "D")
    local_end = np.datetime64(until.replace(tzinfo=None), "D")
    days = np.arange(local_start, local_end + 1, dtype="datetime64[D]")
    weekday = (days.astype("int64") + 3) % 7  # 1970-01-01 was a Thursday
    weights = np.asarray(config["weekdays"]["weights"])[weekday]
    weights = weights * np.linspace(0.75, 1.25, len(days))
    hours = np.asarray(config["hours"]["weights"], dtype=float)
    lo = np.datetime64(start.replace(tzinfo=None), "s")
    hi = np.datetime64(until.replace(tzinfo=None), "s")
    out = np.empty(0, dtype="datetime64[s]")
    while out.size < n:  # redraw the few instants that fall outside [start, until)
        k = n - out.size
        day = rng.choice(days, size=k, p=weights / weights.sum())
        hour = rng.choice(24, size=k, p=hours / hours.sum())
        local = day.astype("datetime64[s]") + hour * 3600 * SEC + rng.integers(0, 3600, k) * SEC
        utc = local - np.timedelta64(7, "h")  # Asia/Ho_Chi_Minh is UTC+7 all year
        out = np.concatenate([out, utc[(utc >= lo) & (utc < hi)]])
    return np.sort(out)


def _lognormal_minutes(rng, n, median, sigma=0.6):
    return np.maximum(1, rng.lognormal(np.log(median), sigma, n)).astype(np.int64)


def _stage_minutes(rng, n, median, budget, late_share):
    """Working minutes a stage takes: mostly within budget, a late_share beyond it."""
    minutes = np.minimum(_lognormal_minutes(rng, n, median), int(budget * 0.97))
    late = rng.random(n) < late_share
    overrun = (budget * rng.uniform(1.05, 2.8, n)).astype(np.int64)
    return np.where(late, overrun, minutes)


def _after(calendar: WorkCalendar, start: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """The instant `minutes` working minutes after `start`, at least one second later."""
    out = np.full(start.shape, NAT)
    ok = ~np.isnat(start)
    if ok.any():
        out[ok] = np.maximum(calendar.deadline(start[ok], minutes[ok]).astype("datetime64[s]"),
                             start[ok] + SEC)
    return out


def _clock_after(start: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return start + np.maximum(1, seconds).astype(np.int64) * SEC


class _Columns:
    """Stored columns derived slot by slot (mirrors the effects in backend.services.workflow.steps)."""

    def __init__(self, n: int) -> None:
        self.t = {name: np.full(n, NAT) for name in (
            "verify_start", "verify_due", "verify_done", "forward_start", "forward_due",
            "forward_done", "process_start", "process_due", "process_done", "approve_start",
            "approve_due", "approve_done", "publish_start", "publish_due", "publish_done",
            "received_at", "progress_notice_at", "published_at", "closed_at")}

    def set(self, mask, **values) -> None:
        for name, value in values.items():
            self.t[name] = np.where(mask, value, self.t[name])

    def clear(self, mask, *names) -> None:
        for name in names:
            self.t[name] = np.where(mask, NAT, self.t[name])


def _paths(rng: np.random.Generator, n: int, shares: dict, prof: pd.DataFrame) -> tuple:
    """Which path each report takes: supplement, rejection, escalation, return, rework, late
    processing with or without a progress notice, edited approval, the citizen's feedback."""
    supp = rng.random(n) < shares["needs_supplement"]
    supp_answered = supp & (rng.random(n) < shares["supplement_answered"])
    reject = (~supp & (rng.random(n) < shares["rejected"])) | (supp & ~supp_answered)
    escalate = ~reject & (rng.random(n) < shares["escalated"])
    returned = ~reject & ~escalate & (rng.random(n) < prof["return_share"].to_numpy())
    rework = ~reject & (rng.random(n) < prof["rework_share"].to_numpy())
    late_process = rng.random(n) < prof["late_share"].to_numpy()
    notice = late_process & (rng.random(n) < prof["progress_notice_share"].to_numpy())
    edit = rng.random(n) < shares["edit_and_approve"]
    feedback = ~reject & (rng.random(n) < shares["feedback"])
    return (supp, supp_answered, reject, escalate, returned, rework, late_process, notice, edit, feedback)


def generate_chunk(world: World, first_id: int, submitted: np.ndarray, until: np.datetime64,
                   rng: np.random.Generator) -> tuple[Chunk, list[tuple]]:
    """Generate the reports with ids first_id.. for the given submission instants."""
    cal, policy, cfg = world.calendar, world.policy, world.config
    shares, timing = cfg["shares"], cfg["timing"]
    n = len(submitted)
    ids = np.arange(first_id, first_id + n)
    budgets = {s: policy.budgets[s].minutes for s in policy.budgets}
    emergency_min = {s: policy.budgets[s].emergency_minutes for s in policy.budgets}

    points = _places(world, submitted, rng)
    unit = points["unit_code"].to_numpy(dtype=object)
    field_idx = rng.choice(len(world.fields), size=n, p=world.field_weights)
    field_code = np.asarray(world.fields, dtype=object)[field_idx]
    final_agency = np.asarray([world.route.get((f, u)) or world.route[(f, None)]
                               for f, u in zip(field_code, unit, strict=True)], dtype=object)
    emergency = np.isin(field_code, cfg["emergency_fields"]) & (
        rng.random(n) < shares["emergency"] * len(world.fields) / len(cfg["emergency_fields"]))
    confidential = rng.random(n) < shares["confidential"]
    state_secret = (field_code == "an_ninh_trat_tu") & (
        rng.random(n) < shares["state_secret"] * 15)
    channels = list(cfg["channels"])
    channel = np.asarray(channels, dtype=object)[rng.choice(
        len(channels), size=n, p=np.asarray([cfg["channels"][c] for c in channels]))]

    prof = world.profiles.reindex(final_agency)
    # --- which path each report takes -----------------------------------------------------
    (supp, supp_answered, reject, escalate, returned, rework, late_process, notice, edit,
     feedback) = _paths(rng, n, shares, prof)

    # --- when each step happens -------------------------------------------------------------
    T = np.full((len(SLOTS), n), NAT)
    valid = np.zeros((len(SLOTS), n), dtype=bool)
    T[S_SUBMIT], valid[S_SUBMIT] = submitted, True

    def stage(start, stage_name, median, late_share, mask):
        """Working-time step for normal reports, a short clock-time step for emergencies."""
        work = _after(cal, start, _stage_minutes(rng, n, median, budgets[stage_name], late_share))
        quick = _clock_after(start, rng.uniform(0.1, 0.9, n) * emergency_min[stage_name] * 60)
        return np.where(mask, np.where(emergency, quick, work), NAT)

    T[S_REQ_SUPP] = stage(submitted, "verify", timing["verify_median"], shares["verify_late"], supp)
    T[S_SUPP] = np.where(supp_answered, _clock_after(
        T[S_REQ_SUPP], rng.uniform(0.3, timing["supplement_hours_max"], n) * 3600), NAT)
    intake = np.where(supp_answered, T[S_SUPP], submitted)
    reject_at = np.where(supp & ~supp_answered, _after(cal, T[S_REQ_SUPP], np.full(n, 2400)),
                         stage(intake, "verify", timing["verify_median"], shares["verify_late"],
                               np.ones(n, bool)))
    T[S_REJECT] = np.where(reject, reject_at, NAT)
    T[S_ACCEPT] = stage(intake, "verify", timing["verify_median"], shares["verify_late"], ~reject)
    forward_minutes = _stage_minutes(rng, n, timing["forward_median"], budgets["forward"],
                                     shares["forward_late"])
    forwarded_at = np.where(emergency, _clock_after(T[S_ACCEPT], rng.uniform(300, 3000, n)),
                            _after(cal, T[S_ACCEPT], forward_minutes))
    T[S_ESCALATE] = np.where(escalate, _after(cal, T[S_ACCEPT], rng.integers(60, 400, n)), NAT)
    T[S_DIRECT] = np.where(escalate, _after(
        cal, T[S_ESCALATE], rng.integers(120, timing["direction_days_max"] * 480, n)), NAT)
    T[S_FORWARD1] = np.where(~reject & ~escalate, forwarded_at, NAT)
    T[S_RECEIVE1] = np.where(returned, _after(cal, T[S_FORWARD1], rng.integers(5, 240, n)), NAT)
    T[S_RETURN] = np.where(returned, _after(cal, T[S_RECEIVE1], rng.integers(5, 300, n)), NAT)
    T[S_FORWARD2] = np.where(returned, _after(cal, T[S_RETURN], rng.integers(15, 480, n)), NAT)
    at_agency = np.where(escalate, T[S_DIRECT], np.where(returned, T[S_FORWARD2], T[S_FORWARD1]))
    T[S_RECEIVE] = np.where(~reject, np.where(
        emergency, _clock_after(at_agency, rng.uniform(60, 1200, n)),
        _after(cal, at_agency, rng.integers(2, 120, n))), NAT)

    agency_budget = np.minimum(
        np.asarray([world.agencies[a].process_minutes for a in final_agency]), budgets["process"])
    median_share = prof["median_process_share"].to_numpy()
    on_time = np.minimum(np.maximum(1, rng.lognormal(
        np.log(np.maximum(median_share * agency_budget, 5)), 0.5, n)), agency_budget * 0.97)
    late = agency_budget * rng.uniform(1.05, 3.0, n)
    process_minutes = np.where(late_process, late, on_time).astype(np.int64)
    result_at = np.where(emergency, _clock_after(
        at_agency, rng.uniform(0.1, 0.95, n) * emergency_min["process"] * 60),
        _after(cal, at_agency, process_minutes))
    result_at = np.maximum(result_at, T[S_RECEIVE] + SEC)
    T[S_NOTICE] = np.where(notice & ~reject & ~emergency, _after(
        cal, at_agency, (agency_budget * rng.uniform(0.6, 0.95, n)).astype(np.int64)), NAT)
    T[S_NOTICE] = np.where(T[S_NOTICE] >= T[S_RECEIVE], T[S_NOTICE], NAT)
    first_result = np.where(rework, result_at, NAT)
    T[S_RESULT1] = first_result
    T[S_REWORK] = np.where(rework, stage(first_result, "approve", timing["approve_median"],
                                         shares["approve_late"], rework), NAT)
    T[S_RESULT] = np.where(~reject, np.where(
        rework, _after(cal, T[S_REWORK], rng.integers(30, 600, n)), result_at), NAT)
    T[S_APPROVE] = stage(T[S_RESULT], "approve", timing["approve_median"],
                         shares["approve_late"], ~reject)
    T[S_PUBLISH] = stage(T[S_APPROVE], "publish", timing["publish_median"],
                         shares["publish_late"], ~reject)
    T[S_FEEDBACK] = np.where(feedback, _clock_after(
        T[S_PUBLISH], rng.uniform(0.5, timing["feedback_hours_max"], n) * 3600), NAT)
    # an answered report is closed only once the citizen's reply window (the province's setting,
    # data/sla.toml [follow_up]) has passed since the answer, and after any reply
    window = np.full(n, policy.reply_window_minutes, dtype=np.int64)
    reply_until = _after(cal, T[S_PUBLISH], window)
    close_base = np.where(reject, T[S_REJECT], np.where(
        feedback, np.maximum(T[S_FEEDBACK], reply_until), reply_until))
    T[S_CLOSE] = _clock_after(close_base, rng.uniform(0.1, timing["close_days"], n) * 86400)

    for slot, mask in ((S_REQ_SUPP, supp), (S_SUPP, supp_answered), (S_REJECT, reject),
                       (S_ACCEPT, ~reject), (S_ESCALATE, escalate), (S_DIRECT, escalate),
                       (S_FORWARD1, ~reject & ~escalate), (S_RECEIVE1, returned),
                       (S_RETURN, returned), (S_FORWARD2, returned), (S_RECEIVE, ~reject),
                       (S_NOTICE, ~np.isnat(T[S_NOTICE])), (S_RESULT1, rework),
                       (S_REWORK, rework), (S_RESULT, ~reject), (S_APPROVE, ~reject),
                       (S_PUBLISH, ~reject), (S_FEEDBACK, feedback), (S_CLOSE, np.ones(n, bool))):
        valid[slot] = mask
    # steps keep their order; a step that has not happened yet stops the report there
    happened = valid & ~np.isnat(T) & (until >= T)
    happened = np.logical_and.accumulate(happened | ~valid, axis=0) & valid
    happened[S_SUBMIT] = True

    wrong_agency = _wrong_agencies(world, final_agency, rng)
    first_agency = np.where(returned, wrong_agency, final_agency)
    return _assemble(world, rng, ids, points, field_code, final_agency, first_agency, emergency,
                     confidential, state_secret, channel, edit, T, happened, agency_budget,
                     emergency_min, prof)


def _wrong_agencies(world: World, final: np.ndarray, rng) -> np.ndarray:
    codes = np.asarray(sorted(world.agencies), dtype=object)
    pick = codes[rng.integers(0, len(codes), len(final))]
    shifted = codes[(np.searchsorted(codes, pick) + 1) % len(codes)]
    return np.where(pick == final, shifted, pick)


def _due(world, stage, start, emergency, emergency_min, minutes=None):
    out = np.full(start.shape, NAT)
    ok = ~np.isnat(start)
    if not ok.any():
        return out
    budget = world.policy.budgets[stage].minutes
    work_minutes = np.full(start.shape, budget) if minutes is None else minutes
    work = np.full(start.shape, NAT)
    work[ok] = world.calendar.deadline(start[ok], work_minutes[ok]).astype("datetime64[s]")
    clock = start + emergency_min[stage] * 60 * SEC
    out[ok] = np.where(emergency[ok], clock[ok], work[ok])
    return out


def _assemble(world, rng, ids, points, field_code, final_agency, first_agency, emergency,
              confidential, state_secret, channel, edit, T, H, agency_budget, emergency_min, prof):
    n = len(ids)
    cols = _Columns(n)
    sub = T[S_SUBMIT]
    cols.set(True, verify_start=sub, forward_start=sub,
             verify_due=_due(world, "verify", sub, emergency, emergency_min),
             forward_due=_due(world, "forward", sub, emergency, emergency_min))
    cols.set(H[S_REQ_SUPP], verify_done=T[S_REQ_SUPP])
    supp_start = T[S_SUPP]
    cols.set(H[S_SUPP], verify_start=supp_start, forward_start=supp_start,
             verify_due=_due(world, "verify", supp_start, emergency, emergency_min),
             forward_due=_due(world, "forward", supp_start, emergency, emergency_min))
    cols.clear(H[S_SUPP], "verify_done", "forward_done")
    cols.set(H[S_REJECT] & np.isnat(cols.t["verify_done"]), verify_done=T[S_REJECT])
    cols.set(H[S_REJECT], forward_done=T[S_REJECT])
    cols.set(H[S_ACCEPT], verify_done=T[S_ACCEPT])
    agency = np.full(n, None, dtype=object)
    # the agency a report is first sent to may be the wrong one: its own limit applies (D8 bước 3)
    first_budget = np.minimum(
        np.asarray([world.agencies[a].process_minutes for a in first_agency]),
        world.policy.budgets["process"].minutes)
    for slot, who, minutes in ((S_DIRECT, final_agency, agency_budget),
                               (S_FORWARD1, first_agency, first_budget)):
        at = T[slot]
        cols.set(H[slot], forward_done=at, process_start=at,
                 process_due=_due(world, "process", at, emergency, emergency_min, minutes))
        agency = np.where(H[slot], who, agency)
    cols.set(H[S_RECEIVE1], received_at=T[S_RECEIVE1])
    ret = T[S_RETURN]
    cols.set(H[S_RETURN], forward_start=ret,
             forward_due=_due(world, "forward", ret, emergency, emergency_min))
    cols.clear(H[S_RETURN], "forward_done", "process_start", "process_due", "process_done",
               "received_at")
    agency = np.where(H[S_RETURN], None, agency)  # back at the IOC: no agency holds it
    at = T[S_FORWARD2]
    cols.set(H[S_FORWARD2], forward_done=at, process_start=at,
             process_due=_due(world, "process", at, emergency, emergency_min, agency_budget))
    agency = np.where(H[S_FORWARD2], final_agency, agency)
    cols.set(H[S_RECEIVE], received_at=T[S_RECEIVE])
    cols.set(H[S_NOTICE], progress_notice_at=T[S_NOTICE])
    # in slot order: the first result, its return for rework (D9.1), then the final result
    for slot in (S_RESULT1, S_REWORK, S_RESULT):
        at = T[slot]
        if slot == S_REWORK:
            cols.clear(H[slot], "process_done", "approve_start", "approve_due", "approve_done")
            continue
        cols.set(H[slot], process_done=at, approve_start=at,
                 approve_due=_due(world, "approve", at, emergency, emergency_min))
        cols.clear(H[slot], "approve_done")
    at = T[S_APPROVE]
    cols.set(H[S_APPROVE], approve_done=at, publish_start=at,
             publish_due=_due(world, "publish", at, emergency, emergency_min))
    cols.set(H[S_PUBLISH], publish_done=T[S_PUBLISH], published_at=T[S_PUBLISH])
    cols.set(H[S_CLOSE], closed_at=T[S_CLOSE])

    happened_count = H.sum(axis=0)
    last_slot = len(SLOTS) - 1 - np.argmax(H[::-1], axis=0)
    private = confidential | state_secret
    state = np.asarray([SLOTS[s].to_state.value for s in range(len(SLOTS))], dtype=object)[last_slot]
    answered = np.where(private, State.ANSWERED_PRIVATELY.value, State.PUBLISHED.value)
    state = np.where((last_slot == S_PUBLISH) | (last_slot == S_FEEDBACK), answered, state)
    updated = T[last_slot, np.arange(n)]

    texts, results = world.texts, world.results
    return _rows(world, rng, ids, points, field_code, agency, emergency, confidential,
                 state_secret, channel, edit, T, H, cols, state, updated, happened_count,
                 private, texts, results, prof, (first_agency, final_agency))


def _pick(rng, options: list[str], n: int) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.integers(0, len(options), n)]


def _fmt(values: np.ndarray) -> np.ndarray:
    """datetime64 → the text both databases read as a UTC timestamp; NaT → None."""
    text = np.datetime_as_string(values, unit="us").astype(object)
    text = np.char.replace(text.astype(str), "T", " ").astype(object)
    text[np.isnat(values)] = None
    return text


def _hash_text(values: np.ndarray) -> np.ndarray:
    """datetime64 → the instant as it enters the event hash (audit.format_instant)."""
    return (np.datetime_as_string(values, unit="us").astype(object) + "Z")


def _current_stages(world, state, cols, emergency):
    """`stage`, `stage_due`, `stage_risk_at` as services.clocks.track_current_stage sets them."""
    n = len(state)
    stage = np.asarray([current_stage(s) for s in state], dtype=object)
    start = np.full(n, NAT)
    due = np.full(n, NAT)
    for name in ("verify", "forward", "process", "approve", "publish"):
        mine = stage == name
        start = np.where(mine, cols.t[f"{name}_start"], start)
        due = np.where(mine, cols.t[f"{name}_due"], due)
    ok = ~np.isnat(start) & ~np.isnat(due)
    risk = np.full(n, NAT)
    at_risk = world.policy.at_risk
    if ok.any():
        total = world.calendar.elapsed(start[ok], due[ok])
        work = world.calendar.deadline(start[ok], (total * at_risk).astype(np.int64))
        clock = start[ok] + ((due[ok] - start[ok]).astype(np.int64) * at_risk).astype(
            np.int64) * SEC
        risk[ok] = np.where(emergency[ok], clock, work.astype("datetime64[s]"))
    stage = np.where(ok, stage, None)
    return stage, np.where(ok, due, NAT), risk


def _rows(world, rng, ids, points, field_code, agency, emergency, confidential, state_secret,
          channel, edit, T, H, cols, state, updated, happened_count, private, texts, results, prof,
          routes):
    n = len(ids)
    cfg = world.config
    people = cfg["people"]
    year = T[S_SUBMIT].astype("datetime64[Y]").astype(int) + 1970
    codes = [f"PA-{y}-{i:06d}" for y, i in zip(year, ids, strict=True)]
    fam_w = np.asarray(people["family_weights"], dtype=float)
    names = (_pick_weighted(rng, people["family"], fam_w, n) + " "
             + _pick(rng, people["middle"], n) + " " + _pick(rng, people["given"], n))
    phones = _pick(rng, people["mobile_prefixes"], n) + np.char.zfill(
        rng.integers(0, 10_000_000, n).astype(str), 7).astype(object)
    has_email = rng.random(n) < cfg["shares"]["with_email"]
    emails = np.where(has_email, [f"nguoidan{i}@{people['email_domain']}" for i in ids], None)
    place_names = [commune_label(world, c, u) for c, u in zip(
        points["former_commune_code"], points["unit_code"], strict=True)]
    streets = street_names(world, texts, points["unit_code"].to_numpy(dtype=object), rng)
    descriptions = _descriptions(rng, texts, field_code, place_names, streets, n)
    # D7.2b: the supplement is appended to the content, as services.workflow.steps._supplement does
    supp_days = np.datetime_as_string(T[S_SUPP] + np.timedelta64(7, "h"), unit="D")  # local day
    for i in np.flatnonzero(H[S_SUPP]):
        y, m, d = str(supp_days[i]).split("-")
        descriptions[i] = f"{descriptions[i]}\n\n[Bổ sung {d}/{m}/{y}] {SUPPLEMENT_TEXT}"
    incident = T[S_SUBMIT] - rng.integers(0, 6 * 3600, n) * SEC
    # a result names the day it was submitted: a first result sent back for rework (D9.1) has
    # its own day; the report keeps the latest result submitted so far
    first_text, final_text = _results(rng, results, field_code, place_names,
                                      (T[S_RESULT1], T[S_RESULT]), n)
    result_text = np.where(H[S_RESULT], final_text, np.where(H[S_RESULT1], first_text, None))
    result_by = np.where(H[S_RESULT1] | H[S_RESULT],
                         np.asarray([f"xl_{a}" for a in agency], dtype=object), None)
    answer = np.full(n, None, dtype=object)
    published = H[S_PUBLISH]
    for i in np.flatnonzero(published):
        answer[i] = fill_reply(world.reply_agency_names.get(agency[i], ""), result_text[i])
    ratings = np.full(n, None, dtype=object)
    sat = prof[["sat_hai_long", "sat_chap_nhan_duoc", "sat_khong_hai_long"]].to_numpy()
    u = rng.random(n) * sat.sum(axis=1)
    pick = np.where(u < sat[:, 0], 0, np.where(u < sat[:, 0] + sat[:, 1], 1, 2))
    ratings = np.where(H[S_FEEDBACK], np.asarray(
        ["hai_long", "chap_nhan_duoc", "khong_hai_long"], dtype=object)[pick], None)

    t = {k: _fmt(v) for k, v in cols.t.items()}
    stage, stage_due, stage_risk = _current_stages(world, state, cols, emergency)
    stage_due_s, stage_risk_s = _fmt(stage_due), _fmt(stage_risk)
    sub_s, inc_s, upd_s = _fmt(T[S_SUBMIT]), _fmt(incident), _fmt(updated)
    lon, lat = points["lon"].to_numpy(), points["lat"].to_numpy()
    commune = points["former_commune_code"].to_numpy(dtype=object)
    unit = points["unit_code"].to_numpy(dtype=object)
    district = points["former_district_code"].to_numpy(dtype=object)
    addresses = _addresses(rng, streets, n)

    events, hashes, seqs, feedback_rows, users = _events(
        world, rng, ids, codes, routes, field_code, T, H, edit, private,
        (first_text, result_text), ratings, texts, results,
        (channel.tolist(), confidential, emergency))
    reports = []
    for i in range(n):
        reports.append((
            int(ids[i]), codes[i], channel[i], sub_s[i], inc_s[i], descriptions[i], addresses[i],
            round(float(lat[i]), 6), round(float(lon[i]), 6), unit[i], district[i], commune[i],
            names[i], phones[i], emails[i], bool(confidential[i]), bool(state_secret[i]),
            bool(emergency[i]), field_code[i], agency[i], state[i], int(happened_count[i]),
            t["verify_start"][i], t["verify_due"][i], t["verify_done"][i],
            t["forward_start"][i], t["forward_due"][i], t["forward_done"][i],
            t["process_start"][i], t["process_due"][i], t["process_done"][i],
            t["approve_start"][i], t["approve_due"][i], t["approve_done"][i],
            t["publish_start"][i], t["publish_due"][i], t["publish_done"][i],
            t["received_at"][i], t["progress_notice_at"][i], result_text[i], result_by[i],
            answer[i], t["published_at"][i], t["closed_at"][i], ratings[i],
            int(H[S_RETURN][i]), int(H[S_REWORK][i]), 0, int(H[S_ESCALATE][i]),
            upd_s[i], int(seqs[i]), hashes[i], sub_s[i], CONSENT_VERSION,
            stage[i], stage_due_s[i], stage_risk_s[i],
            search_document(codes[i], descriptions[i], addresses[i], answer[i]),
        ))
    return Chunk(reports=reports, events=events, users=users), feedback_rows


def _pick_weighted(rng, options, weights, n):
    return np.asarray(options, dtype=object)[rng.choice(len(options), n, p=weights / weights.sum())]


def street_names(world: World, texts, units: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A street or road of each point's area (data/demo/descriptions.toml [streets])."""
    table = texts["streets"]
    everywhere = [name for names in table.values() for name in names]
    out = np.empty(len(units), dtype=object)
    pick = rng.integers(0, 1_000_000, len(units))
    for i, unit in enumerate(units):
        names = table.get(world.unit_area.get(unit, ""), everywhere)
        out[i] = names[pick[i] % len(names)]
    return out


def _descriptions(rng, texts, field_code, place_names, street, n):
    place = _pick(rng, texts["places"], n)
    moment = _pick(rng, texts["times"], n)
    out = np.empty(n, dtype=object)
    choice = rng.integers(0, 1_000_000, n)
    for i in range(n):
        templates = texts["fields"][field_code[i]]
        out[i] = templates[choice[i] % len(templates)].format(
            street=street[i], place=place[i], commune=place_names[i], time=moment[i])
    return out


def _addresses(rng, streets, n):
    return "Số " + rng.integers(1, 400, n).astype(str).astype(object) + " đường " + streets


def _results(rng, results, field_code, place_names, days_list, n):
    """One result text per report for each array of days (same wording, that day's date)."""
    choice = rng.integers(0, 1_000_000, n)
    outs = []
    for days in days_list:
        local_days = (days + np.timedelta64(7, "h")).astype("datetime64[D]")
        out = np.empty(n, dtype=object)
        for i in range(n):
            options = results["fields"][field_code[i]]
            day = "" if np.isnat(local_days[i]) else local_days[i].item().strftime("%d/%m/%Y")
            out[i] = options[choice[i] % len(options)].format(
                date=day, commune=place_names[i], agency="đơn vị")
        outs.append(out)
    return outs


def _event_order(event: tuple) -> tuple[int, int]:
    return event[2], event[1]


def _events(world, rng, ids, codes, routes, field_code, T, H, edit, private, result_texts,
            ratings, texts, results, submit_facts):
    """Hash-chained events for every step that happened, slot by slot (audit.event_hash)."""
    n = len(ids)
    first_result_text, result_text = result_texts
    staff = world.config["staff"]
    ioc = _pick(rng, staff["ioc_handlers"], n)
    notes = {
        S_REQ_SUPP: _pick(rng, texts["supplement_requests"], n),
        S_SUPP: np.full(n, SUPPLEMENT_TEXT, dtype=object),
        S_REJECT: _pick(rng, texts["reject_reasons"], n),
        S_ESCALATE: _pick(rng, texts["escalation_notes"], n),
        S_DIRECT: _pick(rng, texts["directions"], n),
        S_RETURN: _pick(rng, texts["return_reasons"], n),
        S_NOTICE: _pick(rng, results["progress_notices"], n),
        S_REWORK: _pick(rng, texts["rework_reasons"], n),
    }
    replies = dict(texts["feedback_replies"])
    first_agency, final_agency = routes[0].tolist(), routes[1].tolist()
    ids_list, ioc_list, fields_list = ids.tolist(), ioc.tolist(), field_code.tolist()
    channels, conf, emerg = submit_facts
    prev = [""] * n
    seq = [0] * n
    prev_state = [""] * n
    events: list[tuple] = []
    feedback_rows: list[tuple] = []
    users: set = set()
    data_cache: dict = {}
    answered = np.where(private, State.ANSWERED_PRIVATELY.value, State.PUBLISHED.value).tolist()
    leader_of_province = staff["provincial_leader"]
    sha256 = hashlib.sha256
    for slot_index, slot in enumerate(SLOTS):
        rows = np.flatnonzero(H[slot_index])
        if rows.size == 0:
            continue
        at_hash = _hash_text(T[slot_index, rows]).tolist()
        at_db = _fmt(T[slot_index, rows]).tolist()
        role = slot.role.value
        slot_state = slot.to_state.value
        answers_state = slot_index in (S_PUBLISH, S_FEEDBACK)
        agency_role = slot.role in AGENCY_ROLES
        prefix = "xl_" if slot.role is Role.AGENCY_HANDLER else "ld_"
        wrong_desk = slot_index in (S_RECEIVE1, S_RETURN)
        slot_notes = notes[slot_index].tolist() if slot_index in notes else None
        for k, i in enumerate(rows.tolist()):
            to_state = answered[i] if answers_state else slot_state
            action = "edit_and_approve" if slot_index == S_APPROVE and edit[i] else slot.action
            if agency_role:
                who = first_agency[i] if wrong_desk else final_agency[i]
                actor = prefix + who
                users.add((actor, role, who))
            elif slot.role is Role.IOC_HANDLER:
                actor = ioc_list[i]
            elif slot.role is Role.CITIZEN:
                actor = "citizen"
            else:
                actor = leader_of_province
            note = slot_notes[i] if slot_notes is not None else None
            data = None
            if slot_index == S_SUBMIT:
                key = ("submit", channels[i], bool(conf[i]), bool(emerg[i]))
                data = data_cache.get(key)
                if data is None:
                    data = data_cache[key] = canonical_json(
                        {"channel": key[1], "confidential": key[2], "emergency": key[3]})
            elif slot_index in (S_FORWARD1, S_FORWARD2, S_DIRECT):
                key = (first_agency[i] if slot_index == S_FORWARD1 else final_agency[i],
                       fields_list[i])
                data = data_cache.get(key)
                if data is None:
                    data = data_cache[key] = canonical_json({"agency": key[0], "field": key[1]})
            elif slot_index in (S_RESULT1, S_RESULT) or (slot_index == S_APPROVE and edit[i]):
                text = first_result_text[i] if slot_index == S_RESULT1 else result_text[i]
                data = '{"result":' + json.dumps(text, ensure_ascii=False) + "}"
            elif slot_index == S_FEEDBACK:
                options = replies[ratings[i]]
                note = options[ids_list[i] % len(options)]
                data = '{"rating":"' + ratings[i] + '"}'
                feedback_rows.append((ids_list[i], at_db[k], ratings[i], note))
            number = seq[i] + 1
            from_state = prev_state[i]
            digest = sha256("\x1f".join((
                codes[i], str(number), at_hash[k], actor, role, action, from_state, to_state,
                note or "", data or "", prev[i])).encode("utf-8")).hexdigest()
            events.append((codes[i], number, ids_list[i], at_db[k], actor, role, action,
                           from_state or None, to_state, note, data, prev[i] or None, digest))
            prev[i], seq[i], prev_state[i] = digest, number, to_state
    events.sort(key=_event_order)  # report by report: index inserts become appends
    return events, np.asarray(prev, dtype=object), np.asarray(seq), feedback_rows, users
