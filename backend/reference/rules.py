"""The regulated rules as shipped in `data/`: stage budgets (`sla.toml`) and the working calendar
(`calendar.toml`). Files are read here; the domain only turns what was read into its objects, so
it stays free of I/O. An administrator's changes over these files are in the database
(`backend.services.clocks`)."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from backend.config import data_dir
from backend.domain.sla import SlaPolicy, sla_policy_from
from backend.domain.worktime import (
    CalendarOverride,
    CalendarSpec,
    calendar_overrides_from,
    calendar_spec_from,
)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML data file; a missing or broken file is named in the error."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"Không tìm thấy tệp cấu hình {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def _path(path: Path | str | None, name: str) -> Path:
    return Path(path) if path is not None else data_dir() / name


def load_sla_policy(path: Path | str | None = None) -> SlaPolicy:
    """`data/sla.toml`: every stage with a checked budget."""
    path = _path(path, "sla.toml")
    return sla_policy_from(read_toml(path), path.name)


def load_calendar_overrides(path: Path | str | None = None) -> tuple[CalendarOverride, ...]:
    """The override days of `data/calendar.toml` with their notes (they seed the admin table)."""
    path = _path(path, "calendar.toml")
    return calendar_overrides_from(read_toml(path), path.name)


def load_calendar_spec(path: Path | str | None = None,
                       overrides: Iterable[tuple[dt.date, bool]] | None = None) -> CalendarSpec:
    """`data/calendar.toml`; `overrides` (day, is_working) replaces the file's list when given."""
    path = _path(path, "calendar.toml")
    return calendar_spec_from(read_toml(path), path.name, overrides)
