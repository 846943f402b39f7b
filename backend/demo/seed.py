"""`ioc demo seed`: fill a database with a realistic province history, chunk by chunk."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from backend.config import data_dir
from backend.demo import bulk
from backend.demo.generator import (
    EVENT_COLUMNS,
    FEEDBACK_COLUMNS,
    REPORT_COLUMNS,
    World,
    generate_chunk,
    submission_times,
)
from backend.reference import files as refdata
from backend.reference.rules import read_toml
from backend.services.clocks import calendar_from_session, sla_policy
from backend.services.places.lookup import gazetteer
from backend.storage.db import engine_for, session_factory
from backend.storage.models import Agency, Report, User


@dataclass(frozen=True)
class SeedResult:
    reports: int
    events: int
    seconds: float


def load_world(url: str | None = None) -> World:
    """Everything the generator needs, read from data/ and the database's calendar."""
    folder = data_dir()
    config = read_toml(folder / "demo" / "seed.toml")
    fields = [f.code for f in refdata.load_fields(folder) if f.active]
    weights = np.asarray([float(config["fields"].get(code, 1)) for code in fields])
    agencies = {a.code: a for a in refdata.load_agencies(folder)}
    rules = [r for r in refdata.load_routing(folder) if agencies[r.agency].active]
    population = pd.read_csv(folder / "demo" / "population.csv", dtype={"district_code": str})
    unit_area = refdata.load_unit_areas(folder)
    route: dict[tuple[str, str | None], str] = {}
    for code in fields:
        route[(code, None)] = refdata.suggest_agency(rules, code)
        for unit, area in unit_area.items():
            route[(code, unit)] = refdata.suggest_agency(rules, code, unit, area)
    profiles = refdata.load_agency_profiles(folder)
    profiles = pd.DataFrame([vars(p) if not isinstance(p, dict) else p for p in profiles])
    profiles = _expand_satisfaction(profiles).set_index("agency")
    missing = set(agencies) - set(profiles.index)
    if missing:
        default = profiles.median(numeric_only=True)
        for code in missing:
            profiles.loc[code] = default
    with session_factory(url)() as session:
        calendar = calendar_from_session(session)
    texts = refdata.load_demo_texts(folder)
    places = gazetteer()

    def lowered(frame: pd.DataFrame) -> dict[str, str]:
        return {str(c): n[:1].lower() + n[1:] for c, n in zip(frame["code"], frame["name"],
                                                                strict=True)}

    return World(
        calendar=calendar, policy=sla_policy(), gazetteer=places, district_weights=population,
        fields=fields, field_weights=weights / weights.sum(), agencies=agencies, route=route,
        profiles=profiles, texts=texts["descriptions"], results=texts["results"], config=config,
        reply_agency_names={code: a.name for code, a in agencies.items()},
        unit_names=lowered(places.units), former_names=lowered(places.former_communes),
        unit_area=unit_area,
    )


def _expand_satisfaction(profiles: pd.DataFrame) -> pd.DataFrame:
    if "satisfaction" in profiles.columns:
        parts = profiles["satisfaction"].apply(
            lambda v: [float(x) for x in v] if isinstance(v, list | tuple)
            else [float(x) for x in str(v).split(";")])
        profiles = profiles.drop(columns=["satisfaction"])
        profiles["sat_hai_long"] = parts.str[0]
        profiles["sat_chap_nhan_duoc"] = parts.str[1]
        profiles["sat_khong_hai_long"] = parts.str[2]
    return profiles


def report_count(url: str | None = None) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(Report)) or 0


def seed(
    reports: int,
    months: int = 12,
    seed_value: int = 2026,
    until: datetime | None = None,
    url: str | None = None,
    chunk_size: int = 50_000,
    progress=None,
) -> SeedResult:
    """Append `reports` generated reports ending at `until` (default now), deterministically."""
    started = datetime.now(UTC)
    until = (until or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    start = until - timedelta(days=round(months * 30.44))
    world = load_world(url)
    engine = engine_for(url)
    rng = np.random.default_rng([seed_value, 0])
    times = submission_times(reports, start.replace(tzinfo=None), until.replace(tzinfo=None),
                             rng, world.config)
    with session_factory(url)() as session:
        first_id = (session.scalar(select(func.max(Report.id))) or 0) + 1
    until64 = np.datetime64(until.replace(tzinfo=None), "s")
    total_events, users = 0, set()
    # Generating a chunk is Python work on one core; writing it is mostly the database's work on
    # the other. A writer thread overlaps the two, with at most one chunk waiting in between.
    pending: queue.Queue = queue.Queue(maxsize=1)
    failures: list[BaseException] = []
    writer = threading.Thread(target=_write_chunks, args=(engine, pending, failures), daemon=True)
    writer.start()
    try:
        for index, begin in enumerate(range(0, reports, chunk_size)):
            if failures:
                break
            chunk_times = times[begin:begin + chunk_size]
            chunk_rng = np.random.default_rng([seed_value, index + 1])
            chunk, feedback = generate_chunk(world, first_id + begin, chunk_times, until64,
                                             chunk_rng)
            pending.put((chunk, feedback))
            total_events += len(chunk.events)
            users |= chunk.users
            if progress:
                progress(min(begin + chunk_size, reports), reports)
    finally:
        pending.put(None)
        writer.join()
    if failures:
        raise failures[0]
    bulk.bump_sequence(engine, "reports")
    _ensure_staff(url, users, world)
    seconds = (datetime.now(UTC) - started).total_seconds()
    return SeedResult(reports=reports, events=total_events, seconds=seconds)


def _write_chunks(engine, pending: queue.Queue, failures: list[BaseException]) -> None:
    """Writer thread: store chunks in order until the sentinel; remember the first failure."""
    while (item := pending.get()) is not None:
        if failures:
            continue
        chunk, feedback = item
        try:
            bulk.write_rows(engine, "reports", REPORT_COLUMNS, chunk.reports)
            bulk.write_rows(engine, "events", EVENT_COLUMNS, chunk.events)
            bulk.write_rows(engine, "feedback", FEEDBACK_COLUMNS, feedback)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread to raise
            failures.append(exc)


def _ensure_staff(url: str | None, users: set, world: World) -> None:
    """Staff accounts named in the demo history (no password: they cannot sign in)."""
    staff = world.config["staff"]
    wanted = {(name, "ioc_handler", None) for name in staff["ioc_handlers"]}
    wanted.add((staff["provincial_leader"], "provincial_leader", None))
    wanted |= users
    now = datetime.now(UTC)
    with session_factory(url)() as session, session.begin():
        existing = set(session.scalars(select(User.username)))
        known_agencies = set(session.scalars(select(Agency.code)))
        for username, role, agency in sorted(wanted, key=lambda u: u[0]):
            if username in existing or (agency and agency not in known_agencies):
                continue
            session.add(User(username=username, role=role, agency_code=agency,
                             full_name=None, password_hash=None, active=True, created_at=now))
