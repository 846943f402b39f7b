"""The wall screen's tick (`/wall`, drawn by `dashboard/layouts/wall.py`): everything updates
from one small tick callback; points come from the cacheable points route, refetched only when
the data version changes.

The tick: everything changes together, and only when the data (or minute) does. N screens cost
one query per data version and minute: the version is cached for one second and the snapshot per
(version, minute) in the shared cache. A tick whose key the screen has already seen sends only
the clock and the choropleth's values (which must be re-sent anyway: DASH.md, a hideout that
arrives before the geometry is lost). The values go to the store `wall-choropleth`, from which
the map's place layer is coloured by area, or zoomed in by unit (`dashboard/callbacks/maps.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Dash, Input, Output, State, no_update

from backend import vietnamese as vn
from backend.domain.roles import WALL_ROLES
from backend.services.places.catalogue import AREA_LABEL, place_index
from backend.services.reads import mapdata, wall
from dashboard import access, cache, lookups
from dashboard.callbacks.maps import register_places
from dashboard.layouts.wall import heatmap, ticker, tiles
from dashboard.widgets.map import POINTS_URL

MODE_TICKS = 15  # the choropleth switches between volume and overdue rate every 30 s


def snapshot_key(now: datetime) -> str:
    version = cache.remember("wall:version", 1, mapdata.data_version)
    return f"{version}:{now:%Y%m%d%H%M}"


def current_snapshot(key: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """(the key the data belongs to, the data): while one request computes a new version the
    others show the previous one, keyed as such, so the screen picks up the new one next tick.
    Month-long figures are computed every five minutes, not at every new report."""
    fast_key, fast = cache.remember_latest("wall:snapshot", key, 180,
                                           lambda: wall.snapshot(now))
    slow_key, slow = cache.remember_latest("wall:slow", f"{now:%Y%m%d%H}-{now.minute // 5}", 900,
                                           lambda: wall.slow_snapshot(now))
    data = wall.combine(fast, slow, place_index())
    return f"{fast_key}|{slow_key}", {**data, "area_names": lookups.area_names(),
                                      "unit_names": lookups.unit_names()}


def tick(n_intervals: int | None, seen: str | None, now: datetime | None = None) -> tuple:
    """(clock, tiles, ticker, heatmap, choropleth values, points url, seen key, mode label,
    newest reports layer). Points are recomputed once a minute (the route's cache); the newest
    reports come with the tick, so a new report is on the map at the next tick."""
    access.require(*WALL_ROLES)
    now = now or datetime.now(UTC)
    key, data = current_snapshot(snapshot_key(now), now)
    mode = "overdue" if ((n_intervals or 0) // MODE_TICKS) % 2 else "volume"
    clock = vn.clock(now, " · ")
    hideout = choropleth(data, mode)
    label = ("Tô màu khu vực (phóng to: xã/phường): tỷ lệ quá hạn" if mode == "overdue"
             else "Tô màu khu vực (phóng to: xã/phường): số phản ánh 30 ngày")
    if seen == key:
        return (clock, no_update, no_update, no_update, hideout, no_update, no_update, label,
                no_update)
    minute = key.split("|")[0].rsplit(":", 1)[-1]
    # built once per key for every screen (twenty screens, one rendering)
    shown_tiles, shown_ticker, shown_heatmap, shown_new = cache.remember(
        f"wall:parts:{key}", 180,
        lambda: (tiles(data["kpis"]), ticker(data), heatmap(data), newest(data)))
    return (clock, shown_tiles, shown_ticker, shown_heatmap, hideout,
            f"{POINTS_URL}?v={minute}", key, label, shown_new)


def newest(data: dict[str, Any]) -> dict[str, Any]:
    """The ticker's reports as a GeoJSON layer, drawn over the minute's points."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {"code": r["code"], "emergency": r["emergency"]}}
        for r in data["ticker"]]}


def choropleth(data: dict[str, Any], mode: str) -> dict[str, Any]:
    """Per area and per unit the value the map colours by, scaled 0-1 within its level, and a
    label for the tooltip: {mode, values (areas), units}."""
    areas = {code: d for code, d in data["areas"].items() if code != "-"}
    return {"mode": mode,
            "values": _scaled(areas, mode, data.get("area_names", {}), f"{AREA_LABEL} "),
            "units": _scaled(data["units"], mode, data.get("unit_names", {}))}


def _scaled(figures: dict[str, dict[str, int]], mode: str, names: dict[str, str],
            prefix: str = "") -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    top = max((d["received_30d"] for d in figures.values()), default=0) or 1
    for code, d in figures.items():
        rate = d["overdue"] / d["open"] if d["open"] else 0.0
        scaled = rate if mode == "overdue" else d["received_30d"] / top
        values[code] = {"v": round(scaled, 3),
                        "label": f"{prefix}{names.get(code, code)}: "
                                 f"{vn.integer(d['received_30d'])} phản ánh 30 ngày · "
                                 f"{vn.integer(d['open'])} đang mở · quá hạn {vn.percent(rate)}"}
    return values


def register(app: Dash) -> None:
    @app.callback(
        Output("wall-clock", "children"), Output("wall-kpis", "children"),
        Output("wall-ticker", "children"), Output("wall-heatmap", "children"),
        Output("wall-choropleth", "data"), Output("wall-points", "url"),
        Output("wall-seen", "data"), Output("wall-mode", "children"),
        Output("wall-new", "data"),
        Input("wall-tick", "n_intervals"), State("wall-seen", "data"))
    def on_tick(n_intervals, seen):
        return tick(n_intervals, seen)

    register_places(app, "wall", dark=True, values=Input("wall-choropleth", "data"))
