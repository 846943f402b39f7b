"""Runtime configuration, read from the environment once per call (no import-time state).

Everything that differs between a laptop demo and the province's servers comes from here:
the database URL, the reference-data folder and the boundary folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parents[1]
TIMEZONE = "Asia/Ho_Chi_Minh"
LOCAL_TZ = ZoneInfo(TIMEZONE)  # store UTC, show this


def data_dir() -> Path:
    """Folder of reference data (fields, agencies, calendar, budgets, demo texts)."""
    return Path(os.environ.get("IOC_DATA_DIR") or REPO_ROOT / "data")


def var_dir() -> Path:
    """Folder for the embedded database, media and other run-time files."""
    path = Path(os.environ.get("IOC_VAR_DIR") or REPO_ROOT / "var")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_url() -> str:
    """`DATABASE_URL`, or the embedded SQLite file under `var/`."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{var_dir() / 'ioc.db'}"


def geo_dir() -> Path:
    """Boundary and unit data: `IOC_GEO_DIR`, else the copy the product ships in `data/geo/`
    (licences in `data/geo/NOTICE.md`). A configured path is used even if it does not exist, so a
    typo shows as "files missing" warnings instead of silently using another folder."""
    configured = os.environ.get("IOC_GEO_DIR", "").strip()
    return Path(configured).expanduser() if configured else REPO_ROOT / "data" / "geo"
