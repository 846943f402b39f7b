"""`ioc demo live`: new reports arrive and open ones move on, through the real services.

Every step goes through `backend.services.workflow.steps` exactly as a person's would (same rules, same
clocks, same audit chain), so a screen attached to the demo shows the system as it will behave.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import or_, select

from backend import vietnamese as vn
from backend.demo.generator import commune_label, street_names
from backend.demo.seed import load_world
from backend.domain.roles import Role
from backend.domain.workflow import Actor, State, WorkflowError
from backend.reference import files as refdata
from backend.services.intake.submit import NewReport, submit_report
from backend.services.workflow.holds import HOLD_TTL
from backend.services.workflow.steps import perform_action
from backend.storage.db import session_factory
from backend.storage.models import Event, Report
from geo.sampling import sample_points

TICK_SECONDS = 2.0
STEPS_PER_TICK = 3


@dataclass
class LiveStats:
    submitted: int = 0
    steps: int = 0
    refused: int = 0


def run_live(rate: float = 6.0, seconds: float | None = None, seed: int | None = None,
             url: str | None = None) -> LiveStats:
    """Run until interrupted (or for `seconds`): Poisson arrivals at `rate` a minute."""
    world = load_world(url)
    rng = np.random.default_rng(seed)
    fields = refdata.load_fields()
    stats = LiveStats()
    deadline = time.monotonic() + seconds if seconds else None
    try:
        while deadline is None or time.monotonic() < deadline:
            for _ in range(rng.poisson(rate * TICK_SECONDS / 60)):
                submit_report(_new_report(world, rng), url=url)
                stats.submitted += 1
            for code, state, agency, field in _pick_open(rng, url):
                try:
                    _advance(code, State(state), agency, field, world, fields, rng, url)
                    stats.steps += 1
                except WorkflowError:
                    stats.refused += 1  # someone else moved it first: that is fine
            time.sleep(TICK_SECONDS)
    except KeyboardInterrupt:
        pass
    return stats


def _new_report(world, rng: np.random.Generator) -> NewReport:
    point = sample_points(world.gazetteer, 1, rng, world.district_weights).iloc[0]
    field = world.fields[rng.choice(len(world.fields), p=world.field_weights)]
    templates = world.texts["fields"][field]
    texts = world.texts
    street = street_names(world, texts, np.array([point["unit_code"]], dtype=object), rng)[0]
    text = templates[rng.integers(len(templates))].format(
        street=street,
        place=texts["places"][rng.integers(len(texts["places"]))],
        commune=commune_label(world, None, point["unit_code"]),
        time=texts["times"][rng.integers(len(texts["times"]))])
    people = world.config["people"]
    name = " ".join(people[k][rng.integers(len(people[k]))] for k in ("family", "middle", "given"))
    phone = people["mobile_prefixes"][rng.integers(len(people["mobile_prefixes"]))] + (
        f"{rng.integers(0, 10_000_000):07d}")
    return NewReport(
        description=text, lat=float(point["lat"]), lon=float(point["lon"]),
        address=f"Đường {street}",
        incident_at=datetime.now(UTC) - timedelta(minutes=int(rng.integers(5, 240))),
        reporter_name=name, reporter_phone=phone, confidential=bool(rng.random() < 0.05),
        emergency=bool(rng.random() < 0.01), channel="app" if rng.random() < 0.62 else "portal",
    )


_MOVABLE = [s.value for s in (
    State.SUBMITTED, State.NEEDS_SUPPLEMENT, State.ACCEPTED, State.ESCALATED, State.FORWARDED,
    State.IN_PROGRESS, State.RETURNED_TO_IOC, State.AWAITING_APPROVAL, State.APPROVED,
    State.PUBLISHED, State.ANSWERED_PRIVATELY)]


def _pick_open(rng, url) -> list[tuple[str, str, str | None, str | None]]:
    """A few of the longest-waiting reports, so the oldest work moves first, as on a real desk."""
    now = datetime.now(UTC)
    with session_factory(url)() as session:
        rows = session.execute(
            select(Report.code, Report.state, Report.agency_code, Report.field_code)
            .where(Report.state.in_(_MOVABLE),  # never a report a person has taken (D13.2)
                   or_(Report.held_by.is_(None), Report.held_at <= now - HOLD_TTL))
            .order_by(Report.updated_at).limit(40)
        ).all()
    if not rows:
        return []
    chosen = rng.choice(len(rows), size=min(STEPS_PER_TICK, len(rows)), replace=False)
    return [tuple(rows[i]) for i in chosen]


def _returned_by(code: str, url) -> str | None:
    """The agency that sent the report back (D8 bước 2), from its latest return event."""
    with session_factory(url)() as session:
        actor = session.scalar(
            select(Event.actor).join(Report, Report.id == Event.report_id)
            .where(Report.code == code, Event.action == "return_to_ioc")
            .order_by(Event.seq.desc()).limit(1))
    # a person's account is xl_<agency>, the simulator's mophong.xl.<agency> (no code has a dot)
    return actor.rsplit(".", 1)[-1].removeprefix("xl_") if actor else None


def _reply_window_over(code: str, world, url) -> bool:
    """The province's reply window (data/sla.toml [follow_up]) has passed since the answer."""
    with session_factory(url)() as session:
        answered = session.scalar(select(Report.published_at).where(Report.code == code))
    if answered is None:
        return False
    waited = world.calendar.elapsed_one(answered, datetime.now(UTC))
    return waited >= world.policy.reply_window_minutes


def _ioc(world, rng) -> Actor:
    return Actor(world.config["live"]["ioc"], Role.IOC_HANDLER)


def _citizen(world) -> Actor:
    return Actor(world.config["live"]["citizen"], Role.CITIZEN)


def _advance(code, state, agency, field, world, fields, rng, url) -> None:
    """Take the step a real desk would most likely take next."""
    r = rng.random()
    texts = world.texts
    names = world.config["live"]
    handler = Actor(names["agency_handler"].format(agency=agency), Role.AGENCY_HANDLER, agency)
    leader = Actor(names["agency_leader"].format(agency=agency), Role.AGENCY_LEADER, agency)

    def act(action, actor, **params):
        perform_action(code, action, actor, params, url=url)

    def pick(key):
        options = texts[key]
        return options[rng.integers(len(options))]

    if state is State.SUBMITTED:
        if r < 0.03:
            act("reject", _ioc(world, rng), reason=pick("reject_reasons"))
        elif r < 0.06:
            act("request_supplement", _ioc(world, rng), missing=pick("supplement_requests"))
        else:
            act("accept", _ioc(world, rng))
    elif state is State.NEEDS_SUPPLEMENT:
        act("supplement", _citizen(world), text="Bổ sung ảnh và địa chỉ cụ thể.")
    elif state in (State.ACCEPTED, State.RETURNED_TO_IOC):
        with session_factory(url)() as session:
            report = session.scalar(select(Report).where(Report.code == code))
            description, unit = report.description, report.unit_code
        field = field or refdata.suggest_field(fields, description) or "khac"
        target = world.route.get((field, unit)) or world.route[(field, None)]
        returned_by = _returned_by(code, url) if state is State.RETURNED_TO_IOC else None
        if target == returned_by:
            target = next(f.default_agency for f in fields if f.code == field)
            if target == returned_by:
                target = world.route[("khac", None)]
        act("forward", _ioc(world, rng), field=field, agency=target)
    elif state is State.ESCALATED:
        leader_name = world.config["live"]["provincial_leader"]
        target = world.route.get((field, None)) if field else world.route[("khac", None)]
        act("direct", Actor(leader_name, Role.PROVINCIAL_LEADER), agency=target,
            direction=pick("directions"), field=field or "khac")
    elif state is State.FORWARDED:
        act("receive", handler)
    elif state is State.IN_PROGRESS:
        if r < 0.04:
            act("return_to_ioc", handler, reason=pick("return_reasons"))
        elif r < 0.1:
            act("progress_notice", handler, note=world.results["progress_notices"][0])
        else:
            options = world.results["fields"].get(field or "khac") or world.results["fields"]["khac"]
            today = vn.date(datetime.now(UTC))
            act("submit_result", handler, result=options[rng.integers(len(options))].format(
                date=today, commune="địa bàn", agency="đơn vị"))
    elif state is State.AWAITING_APPROVAL:
        if r < 0.06:
            act("return_for_rework", leader, reason=pick("rework_reasons"))
        else:
            act("approve", leader)
    elif state is State.APPROVED:
        act("publish", _ioc(world, rng))
    elif state in (State.PUBLISHED, State.ANSWERED_PRIVATELY):
        if r < 0.4:
            rating = ("hai_long", "chap_nhan_duoc", "khong_hai_long")[rng.choice(3, p=[.55, .3, .15])]
            act("feedback", _citizen(world), rating=rating)
        elif _reply_window_over(code, world, url):  # never cut the citizen's reply short (Đ11)
            act("close", _ioc(world, rng))
