"""`ioc demo seed` and `ioc demo live`: a realistic, deterministic province history (Phụ lục I).

Every history is seeded with the same arguments on SQLite, and on PostgreSQL when
`TEST_DATABASE_URL` is set; it ends at a fixed instant so results never depend on today's date.
Read-only checks share one seeded database per backend (module scope); tests that change the
data seed their own `ready_db`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely.geometry
from conftest import BACKENDS, scratch_database
from sqlalchemy import func, select

from backend.config import data_dir
from backend.demo.generator import REPORT_COLUMNS, generate_chunk
from backend.demo.live import run_live
from backend.demo.seed import load_world, seed
from backend.domain.roles import Role
from backend.domain.workflow import OPEN_STATES, Actor, State
from backend.reference import files as refdata
from backend.services.admin.reference_data import prepare_database
from backend.services.audit import verify_chains
from backend.services.clocks import current_calendar, sla_policy
from backend.services.intake.submit import NewReport, submit_report
from backend.services.places.lookup import gazetteer
from backend.services.workflow import holds
from backend.services.workflow.steps import perform_action
from backend.storage.db import engine_for, session_factory
from backend.storage.models import Agency, Event, Feedback, Report

UNTIL = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # Friday 20/11/2026 10:00 in Thái Nguyên
REPORTS = 3000
MONTHS = 20  # back to March 2025: the oldest reports predate the units of 1/7/2025
SEED = 2026
VN = ZoneInfo("Asia/Ho_Chi_Minh")

STAGES = ("verify", "forward", "process", "approve", "publish")
CITIES = ("tp_thai_nguyen", "tp_song_cong", "tp_pho_yen", "tp_bac_kan")
BAC_KAN = ("tp_bac_kan", "pac_nam", "ba_be", "ngan_son", "bach_thong", "cho_don", "cho_moi",
           "na_ri")
CUTOVER = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # 1/7/2025 00:00 in Thái Nguyên
AGENCY_ROLES = {Role.AGENCY_HANDLER.value, Role.AGENCY_LEADER.value}
# the text parameter each action records as its event note (services.workflow.steps._NOTE_PARAMS)
NOTE_PARAM = {
    "reject": "reason", "escalate": "reason", "return_to_ioc": "reason",
    "return_for_rework": "reason", "request_supplement": "missing", "supplement": "text",
    "direct": "direction", "progress_notice": "note", "feedback": "reply",
}
# which events set each stage's *_done column (services.workflow.steps)
DONE_BY = {
    "verify": {"accept", "reject", "request_supplement"},
    "forward": {"forward", "direct", "reject"},
    "process": {"submit_result"},
    "approve": {"approve", "edit_and_approve"},
    "publish": {"publish"},
}
# ... and which events clear it again
CLEARED_BY = {
    "verify": {"supplement"},
    "forward": {"supplement", "return_to_ioc"},
    "process": {"forward", "direct", "return_to_ioc", "return_for_rework", "reopen"},
    "approve": {"forward", "direct", "return_to_ioc", "return_for_rework", "reopen",
                "submit_result"},
    "publish": {"forward", "direct", "return_to_ioc", "reopen", "approve", "edit_and_approve"},
}
DATE = re.compile(r"\b(\d{2})/(\d{2})/(\d{4})\b")


@dataclass
class History:
    url: str
    reports: list[Report]
    events: dict[int, list[Event]]  # report id -> its events in chain order

    def by_id(self) -> dict[int, Report]:
        return {r.id: r for r in self.reports}


def _seed(url: str, seed_value: int = SEED):
    return seed(REPORTS, MONTHS, seed_value, UNTIL, url=url)


def _load(url: str) -> History:
    with session_factory(url)() as session:
        reports = list(session.scalars(select(Report).order_by(Report.id)))
        events: dict[int, list[Event]] = defaultdict(list)
        for event in session.scalars(select(Event).where(Event.report_id.is_not(None))
                                     .order_by(Event.report_id, Event.seq)):
            events[event.report_id].append(event)
    return History(url, reports, dict(events))


def _seed_and_load(url: str) -> History:
    result = _seed(url)
    assert result.reports == REPORTS
    loaded = _load(url)
    assert len(loaded.reports) == REPORTS
    assert sum(len(v) for v in loaded.events.values()) == result.events
    return loaded


@pytest.fixture(scope="module", params=BACKENDS)  # one per backend (conftest)
def history(request, tmp_path_factory) -> Iterator[History]:
    """One seeded province per backend, shared by the read-only checks of this module."""
    with scratch_database(request.param, tmp_path_factory.mktemp("seeded")) as url:
        prepare_database(url)
        yield _seed_and_load(url)


@pytest.fixture
def own_history(ready_db: str) -> History:
    """A seeded province of the test's own, for tests that change it."""
    return _seed_and_load(ready_db)


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _digests(url: str) -> tuple[str, str, str]:
    """sha256 of every report row (all columns, by id), of the event hashes and of feedback."""
    tables = (
        select(Report.__table__).order_by(Report.id),
        select(Event.stream, Event.seq, Event.hash).order_by(Event.stream, Event.seq),
        select(Feedback.report_id, Feedback.at, Feedback.rating, Feedback.reply)
        .order_by(Feedback.report_id, Feedback.at),
    )
    out = []
    with engine_for(url).connect() as connection:
        for query in tables:
            rows = connection.execute(query).all()
            assert rows
            out.append(hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest())
    return tuple(out)


# --- determinism and integrity ----------------------------------------------------------------

def test_same_arguments_give_the_same_history(history: History, tmp_path: Path) -> None:
    """Two fresh databases seeded alike hold identical reports, events and feedback."""
    first = _digests(history.url)
    with scratch_database(_backend(history.url), tmp_path) as twin:
        prepare_database(twin)
        _seed(twin)
        assert _digests(twin) == first
    with scratch_database(_backend(history.url), tmp_path) as other:  # the seed does matter
        prepare_database(other)
        _seed(other, seed_value=SEED + 1)
        assert _digests(other)[0] != first[0]


def test_chains_verify_and_heads_match_the_events(history: History) -> None:
    """D3.8: every chain verifies; a report's counters and state follow from its events."""
    with session_factory(history.url)() as session:
        check = verify_chains(session)
    assert check.ok, check.problems[:5]
    assert check.streams == REPORTS
    for report in history.reports:
        events = history.events[report.id]
        assert [e.seq for e in events] == list(range(1, len(events) + 1)), report.code
        assert report.event_seq == len(events), report.code
        assert report.version == len(events), report.code  # 1 at submission, +1 per step
        assert report.state == events[-1].to_state, report.code
        assert report.last_event_hash == events[-1].hash, report.code
        assert all(e.stream == report.code for e in events)
        first = events[0]
        assert (first.action, first.from_state, first.to_state) == ("submit", None, "submitted")
        assert first.at == report.submitted_at
        assert report.updated_at == events[-1].at
        times = [e.at for e in events]
        assert times == sorted(times), f"{report.code}: events out of chronological order"
        assert all(a.to_state == b.from_state for a, b in zip(events, events[1:], strict=False))
        assert report.submitted_at < UNTIL and events[-1].at <= UNTIL
        assert report.code == f"PA-{report.submitted_at.year}-{report.id:06d}"


def test_every_event_is_a_legal_step_by_a_permitted_actor(history: History) -> None:
    """The generated history obeys the same state machine as a real desk (Phụ lục I)."""
    from backend.domain.workflow import ACTIONS

    for report in history.reports:
        for event in history.events[report.id][1:]:
            action = ACTIONS[event.action]
            assert Role(event.role) in action.roles, (report.code, event.action, event.role)
            assert State(event.from_state) in action.sources, (report.code, event.action)
            if event.role in AGENCY_ROLES:
                assert event.actor in (f"xl_{report.agency_code}", f"ld_{report.agency_code}") or (
                    event.action in ("receive", "return_to_ioc")), (report.code, event.actor)


# --- realism --------------------------------------------------------------------------------

def _area_sizes_km2() -> dict[str, float]:
    geod = pyproj.Geod(ellps="WGS84")
    areas = {}
    collection = json.loads(gazetteer().grouped_geojson(refdata.load_unit_areas(), {}))
    for feature in collection["features"]:
        area, _ = geod.geometry_area_perimeter(shapely.geometry.shape(feature["geometry"]))
        areas[feature["properties"]["code"]] = abs(area) / 1e6
    return areas


def test_points_lie_in_the_merged_province_and_follow_population(history: History) -> None:
    """Issue 12: the demo covers the whole province of 1/7/2025, former Bắc Kạn included,
    weighted by population; reports before 1/7/2025 keep their former commune and district."""
    reports = history.reports
    lons = np.array([r.lon for r in reports])
    lats = np.array([r.lat for r in reports])
    located = gazetteer().locate_many(lons, lats)
    assert located["inside"].all()
    assert [r.unit_code for r in reports] == located["unit_code"].tolist()
    older = [r.submitted_at < CUTOVER for r in reports]
    assert 0 < sum(older) < len(reports)
    for column in ("former_district_code", "former_commune_code"):
        expected = [code if old else None
                    for code, old in zip(located[column], older, strict=True)]
        assert [getattr(r, column) for r in reports] == expected, column

    area_of = refdata.load_unit_areas()
    counts = defaultdict(int)
    for r in reports:
        counts[area_of[r.unit_code]] += 1
    areas = _area_sizes_km2()
    assert set(counts) == set(areas) and len(areas) == 17  # every area gets reports
    density = {code: counts[code] / areas[code] for code in areas}
    assert max(density, key=density.get) == "tp_thai_nguyen"  # the densest
    assert counts["tp_thai_nguyen"] > counts["vo_nhai"]  # the city over mountainous Võ Nhai
    assert counts["tp_thai_nguyen"] == max(counts.values())
    population = pd.read_csv(data_dir() / "demo" / "population.csv", dtype=str)
    people = population["population"].astype(int)
    bac_kan_people = people[population["district_code"].str.startswith("0")].sum() / people.sum()
    bac_kan = sum(counts[c] for c in BAC_KAN) / len(reports)
    assert abs(bac_kan - bac_kan_people) < 0.04, (bac_kan, bac_kan_people)
    rural = [c for c in areas if c not in CITIES]
    city_density = sum(counts[c] for c in CITIES) / sum(areas[c] for c in CITIES)
    rural_density = sum(counts[c] for c in rural) / sum(areas[c] for c in rural)
    assert city_density > 2 * rural_density


def test_channels_emergencies_and_confidential_reports(history: History) -> None:
    reports = history.reports
    channels = defaultdict(int)
    for r in reports:
        channels[r.channel] += 1
    assert set(channels) == {"app", "portal"}  # D4.1
    assert channels["app"] > channels["portal"]
    emergencies = [r for r in reports if r.emergency]
    assert 0 < len(emergencies) < 0.03 * REPORTS
    emergency_fields = set(load_world(history.url).config["emergency_fields"])
    assert {r.field_code for r in emergencies} <= emergency_fields
    assert any(r.confidential for r in reports)  # D5.4
    assert all(r.state_secret is False or r.field_code == "an_ninh_trat_tu" for r in reports)
    assert all(r.field_code and r.unit_code for r in reports)


def test_no_answered_report_is_closed_before_the_reply_window(history: History) -> None:
    """Đ11.1-2: the citizen may reply and rate after the answer; the province keeps the report
    open for data/sla.toml [follow_up] reply_window_minutes (a setting, the regulation gives no
    limit), so the demo never closes an answer earlier."""
    calendar = current_calendar(history.url)
    window = sla_policy().reply_window_minutes
    closed = [r for r in history.reports if r.closed_at and r.published_at]
    assert len(closed) > 100
    short = [r.code for r in closed
             if calendar.elapsed_one(r.published_at, r.closed_at) < window]
    assert short == []


def test_returns_rework_escalations_and_ratings(history: History) -> None:
    reports = history.reports
    actions = defaultdict(int)
    for events in history.events.values():
        for e in events:
            actions[e.action] += 1
    returned = [r for r in reports if r.return_count > 0]
    reworked = [r for r in reports if r.rework_count > 0]
    escalated = [r for r in reports if r.escalation_count > 0]
    assert returned and reworked and escalated
    assert len(returned) == actions["return_to_ioc"]  # D8 bước 2
    assert len(reworked) == actions["return_for_rework"]  # D9.1
    assert len(escalated) == actions["escalate"] >= actions["direct"] > 0  # D7.2c
    for action in ("reject", "request_supplement", "supplement", "progress_notice",
                   "edit_and_approve", "feedback", "close"):
        assert actions[action] > 0, action
    assert len(returned) < 0.25 * REPORTS and len(escalated) < 0.05 * REPORTS

    ratings = defaultdict(int)
    for r in reports:
        ratings[r.rating] += 1
    assert {"hai_long", "chap_nhan_duoc", "khong_hai_long"} <= set(ratings)  # D11.2
    assert ratings["hai_long"] > ratings["khong_hai_long"]
    with session_factory(history.url)() as session:
        feedback = {rid: rating for rid, rating in session.execute(
            select(Feedback.report_id, Feedback.rating))}
    assert feedback == {r.id: r.rating for r in reports if r.rating}


def test_most_stages_on_time_some_late(history: History) -> None:
    late = {s: 0 for s in STAGES}
    done = {s: 0 for s in STAGES}
    for r in history.reports:
        for s in STAGES:
            finished, due = getattr(r, f"{s}_done"), getattr(r, f"{s}_due")
            if finished is not None and due is not None:
                done[s] += 1
                late[s] += finished > due
    assert late["process"] > 0
    assert sum(late.values()) > 0.01 * sum(done.values())
    for s in STAGES:
        assert done[s] > 0, s
        assert late[s] < 0.35 * done[s], (s, late[s], done[s])  # most are on time
    assert sum(late.values()) < 0.2 * sum(done.values())


def _clean_text(value: str, diacritics: bool = True) -> bool:
    """Non-empty NFC text without `{placeholder}`s, ", ," holes or doubled spaces; by default
    with at least one Vietnamese letter (names and addresses may be plain ASCII)."""
    return (
        bool(value.strip())
        and unicodedata.normalize("NFC", value) == value
        and not re.search(r"[{}]", value)
        and not re.search(r",\s*,|\s[,.;:]|\(\s*\)|[ \t]{2,}|\.\.", value)
        and (not diacritics or any(not c.isascii() and c.isalpha() for c in value))
    )


def test_texts_are_clean_vietnamese(history: History) -> None:
    """D5.1: Vietnamese text; no template placeholders or holes left behind."""
    for r in history.reports:
        for column in ("description", "reporter_name", "address", "result_text", "answer_text"):
            value = getattr(r, column)
            if column in ("description", "reporter_name", "address"):
                assert value, (r.code, column)
            if value is not None:
                plain = column in ("reporter_name", "address")
                assert _clean_text(value, diacritics=not plain), (r.code, column, value)
        for event in history.events[r.id]:
            if event.note is not None:
                assert _clean_text(event.note), (r.code, event.action, event.note)
    descriptions = {r.description for r in history.reports}
    assert len(descriptions) > REPORTS / 3  # varied, not one sentence repeated


def test_published_answers_follow_annex_ii(history: History) -> None:
    """D10, Phụ lục II: the answer names the agency and carries its approved result."""
    with session_factory(history.url)() as session:
        names = dict(session.execute(select(Agency.code, Agency.name)).all())
    answered = [r for r in history.reports if r.answer_text]
    assert answered
    for r in answered:
        assert r.answer_text.startswith(names[r.agency_code] + "\n"), r.code
        assert f", {names[r.agency_code]} đã tiến hành kiểm tra" in r.answer_text
        assert "Kính chào" in r.answer_text and r.answer_text.rstrip().endswith("Trân trọng.")
        assert r.result_text in r.answer_text
        assert r.published_at is not None and r.publish_done == r.published_at


def test_confidential_and_secret_reports_are_never_public(history: History) -> None:
    """D10.3, D10.4: answered to the reporter alone, never in state `published`."""
    private = [r for r in history.reports if r.confidential or r.state_secret]
    assert private
    answered_privately = 0
    for r in history.reports:
        published_states = {e.to_state for e in history.events[r.id]
                            if e.action in ("publish", "feedback")}
        if r.confidential or r.state_secret:
            assert r.state != State.PUBLISHED.value, r.code
            assert State.PUBLISHED.value not in {e.to_state for e in history.events[r.id]}
            answered_privately += bool(published_states)
            assert published_states <= {State.ANSWERED_PRIVATELY.value}
        else:
            assert State.ANSWERED_PRIVATELY.value not in {e.to_state for e in history.events[r.id]}
            assert published_states <= {State.PUBLISHED.value}
    assert answered_privately > 0


def test_recent_reports_are_mostly_still_open(history: History) -> None:
    recent = [r for r in history.reports if r.submitted_at >= UNTIL - timedelta(days=1)]
    assert len(recent) >= 3
    still_open = [r for r in recent if State(r.state) in OPEN_STATES]
    assert len(still_open) > len(recent) / 2
    old = [r for r in history.reports if r.submitted_at < UNTIL - timedelta(days=60)]
    assert sum(State(r.state) in OPEN_STATES for r in old) < 0.02 * len(old)


def test_result_texts_are_not_dated_after_the_result(history: History) -> None:
    """A result is dated the day the agency submitted it, never a later day.

    The result text and each `submit_result` event's text name a day (dd/mm/yyyy); a first
    result later sent back for rework (D9.1) must not name the day of the second result.
    """
    bad = []
    for r in history.reports:
        for event in history.events[r.id]:
            if event.action != "submit_result":
                continue
            result = json.loads(event.data)["result"]
            local_day = event.at.astimezone(VN).date()
            for d, m, y in DATE.findall(result):
                if datetime(int(y), int(m), int(d)).date() > local_day:
                    bad.append((r.code, event.seq, local_day.isoformat(), f"{d}/{m}/{y}"))
    assert not bad, f"{len(bad)} results dated after they were submitted, e.g. {bad[:3]}"


# --- stored columns versus events and the service's rules --------------------------------------

def test_stage_columns_are_set_by_their_events(history: History) -> None:
    """For 300 reports: each *_done is NULL or the time of the last event that set it."""
    ids = random.Random(7).sample([r.id for r in history.reports], 300)
    reports = history.by_id()
    for rid in ids:
        r, events = reports[rid], history.events[rid]
        for stage in STAGES:
            expected = None
            for e in events:
                if e.action in DONE_BY[stage]:
                    # reject keeps an earlier verify_done / forward_done (report.x or now)
                    if not (e.action == "reject" and expected is not None):
                        expected = e.at
                elif e.action in CLEARED_BY[stage]:
                    expected = None
            assert getattr(r, f"{stage}_done") == expected, (r.code, stage)
        last_forward = [e.at for e in events if e.action in ("forward", "direct")]
        if r.agency_code is not None and r.state != State.RETURNED_TO_IOC.value:
            assert r.process_start == last_forward[-1], r.code
        received = [e.at for e in events if e.action == "receive"]
        if r.received_at is not None:
            assert r.received_at == received[-1], r.code
        published = [e.at for e in events if e.action == "publish"]
        assert r.published_at == (published[-1] if published else None), r.code
        closed = [e.at for e in events if e.action == "close"]
        assert r.closed_at == (closed[-1] if closed else None), r.code


def test_deadlines_are_what_the_service_computes(history: History) -> None:
    """verify/forward/approve/publish budgets and each agency's own processing limit (D8 bước 3)."""
    calendar = current_calendar(history.url)
    budgets = sla_policy().budgets
    with session_factory(history.url)() as session:
        limits = dict(session.execute(select(Agency.code, Agency.process_minutes)).all())
    wrong = []
    for r in history.reports:
        for stage in STAGES:
            start, due = getattr(r, f"{stage}_start"), getattr(r, f"{stage}_due")
            assert (start is None) == (due is None), (r.code, stage)
            if start is None:
                continue
            if r.emergency:
                expected = start + timedelta(minutes=budgets[stage].emergency_minutes)
            else:
                minutes = budgets[stage].minutes
                if stage == "process":
                    minutes = min(limits[r.agency_code], minutes)
                expected = calendar.deadline_one(start, minutes)
            if due != expected:
                wrong.append((r.code, stage, r.agency_code, due.isoformat(), expected.isoformat()))
    assert not wrong, f"{len(wrong)} deadlines differ from the service's, e.g. {wrong[:3]}"


def test_process_deadline_of_a_report_at_the_wrong_agency(ready_db: str) -> None:
    """A report still at the agency it was first (wrongly) sent to runs on *that* agency's limit.

    Many reports submitted in the last hours before `until`, so some are caught between the
    first forwarding and the return to the IOC (D8 bước 2).
    """
    world = load_world(ready_db)
    rng = np.random.default_rng(11)
    until = np.datetime64(UNTIL.replace(tzinfo=None), "s")
    submitted = np.sort(until - rng.integers(3 * 3600, 5 * 24 * 3600, 4000) * np.timedelta64(1, "s"))
    chunk, _ = generate_chunk(world, 1, submitted, until, rng)
    at = {name: i for i, name in enumerate(REPORT_COLUMNS)}
    calendar = world.calendar
    checked, wrong = 0, []
    for row in chunk.reports:
        if row[at["process_start"]] is None or row[at["emergency"]]:
            continue
        start = datetime.fromisoformat(row[at["process_start"]]).replace(tzinfo=UTC)
        agency = row[at["agency_code"]]
        expected = calendar.deadline_one(start, min(world.agencies[agency].process_minutes, 1440))
        checked += 1
        if datetime.fromisoformat(row[at["process_due"]]).replace(tzinfo=UTC) != expected:
            wrong.append((row[at["code"]], agency))
    assert checked > 100
    assert not wrong, f"{len(wrong)} process deadlines use another agency's limit: {wrong[:3]}"


def _params(event: Event) -> dict:
    params = json.loads(event.data) if event.data else {}
    if event.action in NOTE_PARAM and event.note is not None:
        params[NOTE_PARAM[event.action]] = event.note
    return params


def _actor(event: Event) -> Actor:
    agency = event.actor.split("_", 1)[1] if event.role in AGENCY_ROLES else None
    return Actor(event.actor, Role(event.role), agency)


def _replay_sample(history: History) -> list[Report]:
    """Reports covering every path of Phụ lục I (no state secrets: citizens cannot mark those)."""
    chosen: dict[int, Report] = {}
    candidates = [r for r in history.reports if not r.state_secret]
    actions = {r.id: {e.action for e in history.events[r.id]} for r in candidates}
    tests = (
        lambda r: r.return_count > 0, lambda r: r.rework_count > 0,
        lambda r: r.escalation_count > 0, lambda r: "supplement" in actions[r.id],
        lambda r: "reject" in actions[r.id], lambda r: r.emergency, lambda r: r.confidential,
        lambda r: r.rating is not None, lambda r: "progress_notice" in actions[r.id],
        lambda r: "edit_and_approve" in actions[r.id], lambda r: State(r.state) in OPEN_STATES,
    )
    for test in tests:
        for r in [r for r in candidates if test(r)][:4]:
            chosen[r.id] = r
    for r in random.Random(3).sample(candidates, 10):
        chosen[r.id] = r
    return sorted(chosen.values(), key=lambda r: r.id)


COMPARED = (
    "channel", "submitted_at", "incident_at", "description", "address", "lat", "lon",
    "unit_code", "former_district_code", "former_commune_code", "reporter_name", "reporter_phone",
    "reporter_email", "confidential", "emergency", "field_code", "agency_code", "state", "version",
    *(f"{s}_{p}" for s in STAGES for p in ("start", "due", "done")),
    "received_at", "progress_notice_at", "result_text", "result_by", "answer_text", "published_at",
    "closed_at", "rating", "return_count", "rework_count", "reopen_count", "escalation_count",
    "updated_at", "event_seq", "stage", "stage_due", "stage_risk_at",
)


def test_replaying_the_events_through_the_service_gives_the_stored_report(
    own_history: History,
) -> None:
    """The generator mirrors `backend.services.workflow.steps`: the same steps, taken one at a time
    by the real service at the same instants, give the same stored report and events."""
    sample = _replay_sample(own_history)
    assert len(sample) > 30
    differences = []
    for original in sample:
        events = own_history.events[original.id]
        first_text = original.description.split("\n\n[Bổ sung ")[0]
        copy = submit_report(NewReport(
            description=first_text, lat=original.lat, lon=original.lon, address=original.address,
            incident_at=original.incident_at, reporter_name=original.reporter_name,
            reporter_phone=original.reporter_phone, reporter_email=original.reporter_email,
            confidential=original.confidential, emergency=original.emergency,
            channel=original.channel,
        ), now=original.submitted_at, url=own_history.url)
        with session_factory(own_history.url)() as session:  # the demo classifies at intake
            session.execute(Report.__table__.update().where(Report.id == copy.id)
                            .values(field_code=original.field_code))
            session.commit()
        for event in events[1:]:
            perform_action(copy.code, event.action, _actor(event), _params(event),
                           now=event.at, url=own_history.url)
        with session_factory(own_history.url)() as session:
            replayed = session.get(Report, copy.id)
            replayed_events = list(session.scalars(
                select(Event).where(Event.report_id == copy.id).order_by(Event.seq)))
        for column in COMPARED:
            if getattr(replayed, column) != getattr(original, column):
                differences.append((original.code, column, getattr(original, column),
                                    getattr(replayed, column)))
        for mine, theirs in zip(events, replayed_events, strict=True):
            for column in ("seq", "at", "actor", "role", "action", "from_state", "to_state",
                           "note", "data"):
                if getattr(mine, column) != getattr(theirs, column):
                    differences.append((original.code, f"event {mine.seq} {column}",
                                        getattr(mine, column), getattr(theirs, column)))
    with session_factory(own_history.url)() as session:
        assert verify_chains(session).ok
    kinds = sorted({d[1] for d in differences})
    assert not differences, f"{len(differences)} differences in {kinds}, e.g. {differences[:3]}"


# --- the seeded province keeps working ---------------------------------------------------------

NEXT_STEP = {
    State.SUBMITTED: ("accept", Role.IOC_HANDLER, {}),
    State.NEEDS_SUPPLEMENT: ("supplement", Role.CITIZEN, {"text": "Tôi gửi thêm ảnh hiện trường."}),
    State.ACCEPTED: ("forward", Role.IOC_HANDLER, None),
    State.FORWARDED: ("receive", Role.AGENCY_HANDLER, {}),
    State.IN_PROGRESS: ("submit_result", Role.AGENCY_HANDLER,
                        {"result": "Đơn vị đã kiểm tra và khắc phục xong sự việc."}),
    State.AWAITING_APPROVAL: ("approve", Role.AGENCY_LEADER, {}),
    State.APPROVED: ("publish", Role.IOC_HANDLER, {}),
    State.PUBLISHED: ("close", Role.IOC_HANDLER, {}),
    State.ANSWERED_PRIVATELY: ("close", Role.IOC_HANDLER, {}),
}


def test_seeded_reports_move_on_through_the_service(own_history: History) -> None:
    """Open seeded reports accept the next real step (right actor, right agency)."""
    now = UNTIL + timedelta(hours=1)
    moved = 0
    for state, (action, role, params) in NEXT_STEP.items():
        report = next((r for r in reversed(own_history.reports) if r.state == state.value), None)
        if report is None:
            continue
        if params is None:
            params = {"field": report.field_code, "agency": "ubnd_05443"}
        name = {Role.AGENCY_HANDLER: f"xl_{report.agency_code}",
                Role.AGENCY_LEADER: f"ld_{report.agency_code}",
                Role.CITIZEN: "citizen"}.get(role, "ioc_xuly1")
        actor = Actor(name, role, report.agency_code if role.value in AGENCY_ROLES else None)
        after = perform_action(report.code, action, actor, params, version=report.version,
                               now=now, url=own_history.url)
        assert after.version == report.version + 1
        assert after.event_seq == report.event_seq + 1
        if action == "publish":
            expected = (State.ANSWERED_PRIVATELY if report.confidential or report.state_secret
                        else State.PUBLISHED)
            assert after.state == expected.value
        moved += 1
    assert moved >= 5  # the seeded history leaves reports open at many steps
    with session_factory(own_history.url)() as session:
        check = verify_chains(session)
    assert check.ok, check.problems[:5]


def test_live_simulation_submits_and_moves_reports(own_history: History) -> None:
    """`ioc demo live`: new reports arrive and open ones move on, through the real services."""
    with session_factory(own_history.url)() as session:
        events_before = session.scalar(select(func.count()).select_from(Event))
        last_event = session.scalar(select(func.max(Event.id)))
        waiting = list(session.scalars(select(Report.code).where(
            Report.state.in_(("submitted", "accepted"))).order_by(Report.updated_at).limit(40)))
    person = Actor("ioc_xuly1", Role.IOC_HANDLER)
    for code in waiting:  # a person took every report the simulator would reach first (D13.2)
        holds.take(code, person, datetime.now(UTC))
    stats = run_live(rate=120, seconds=4, seed=1, url=own_history.url)
    assert stats.submitted > 0 and stats.steps > 0
    with session_factory(own_history.url)() as session:
        steps = session.execute(select(Event.actor, Event.action, Report.code)
                                .join(Report, Report.id == Event.report_id)
                                .where(Event.id > last_event, Event.action != "submit")).all()
    # its own accounts, never a demo person's or a citizen's name; never a held report
    assert steps and all(actor.startswith("mophong.") for actor, _, _ in steps), steps[:5]
    assert not {code for _, _, code in steps} & set(waiting)
    with session_factory(own_history.url)() as session:
        reports_after = session.scalar(select(func.count()).select_from(Report))
        events_after = session.scalar(select(func.count()).select_from(Event))
        new = list(session.scalars(select(Report).where(Report.id > own_history.reports[-1].id)))
        check = verify_chains(session)
    assert reports_after == REPORTS + stats.submitted
    assert events_after == events_before + stats.submitted + stats.steps
    assert check.ok, check.problems[:5]
    assert all(r.unit_code and r.description and r.channel in ("app", "portal") for r in new)
    assert not any(r.former_district_code or r.former_commune_code for r in new)
