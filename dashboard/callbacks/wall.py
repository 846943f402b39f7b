"""The wall's one tick: everything changes together, and only when the data (or minute) does.

N screens cost one query per data version and minute: the version is cached for one second and
the snapshot per (version, minute) in the shared cache. A tick whose key the screen has already
seen sends only the clock and the choropleth's values (which must be re-sent anyway: DASH.md,
a hideout that arrives before the geometry is lost).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dash import Dash, Input, Output, State, html, no_update

from backend.config import LOCAL_TZ
from backend.services import mapdata, wall
from backend.services.catalogue import district_names
from dashboard import access, cache
from dashboard.format import number, percent
from dashboard.layouts.map import POINTS_URL
from dashboard.layouts.wall import TILES, kpi_tile
from geo.boundaries import short_district_name

ROLES = access.PAGES["/wall"][1]
MODE_TICKS = 15  # the choropleth switches between volume and overdue rate every 30 s
HEATMAP_AGENCIES = 9  # the worst nine: what a room can read at a glance
SCALE = ((0.0, "#166534"), (0.15, "#4d7c0f"), (0.35, "#b45309"), (0.6, "#c2410c"), (1.0, "#b91c1c"))


def snapshot_key(now: datetime) -> str:
    version = cache.remember("wall:version", 1, mapdata.data_version)
    return f"{version}:{now:%Y%m%d%H%M}"


def current_snapshot(key: str, now: datetime) -> tuple[str, dict[str, Any]]:
    """(the key the data belongs to, the data): while one request computes a new version the
    others show the previous one, keyed as such, so the screen picks up the new one next tick.
    Month-long figures are computed every five minutes, not at every new report."""
    fast_key, fast = cache.remember_latest("wall:snapshot", key, 180,
                                           lambda: _enrich(wall.snapshot(now)))
    slow_key, slow = cache.remember_latest("wall:slow", f"{now:%Y%m%d%H}-{now.minute // 5}", 900,
                                           lambda: wall.slow_snapshot(now))
    return f"{fast_key}|{slow_key}", wall.combine(fast, slow)


def _enrich(data: dict[str, Any]) -> dict[str, Any]:
    data["district_names"] = {code: short_district_name(name)
                              for code, name in district_names().items()}
    return data


def tick(n_intervals: int | None, seen: str | None, now: datetime | None = None) -> tuple:
    """(clock, tiles, ticker, heatmap, choropleth hideout, points url, seen key, mode label,
    newest reports layer). Points are recomputed once a minute (the route's cache); the newest
    reports come with the tick, so a new report is on the map at the next tick."""
    access.require(*ROLES)
    now = now or datetime.now(UTC)
    key, data = current_snapshot(snapshot_key(now), now)
    mode = "overdue" if ((n_intervals or 0) // MODE_TICKS) % 2 else "volume"
    clock = now.astimezone(LOCAL_TZ).strftime("%H:%M:%S · %d/%m/%Y")
    hideout = choropleth(data, mode)
    label = ("Tô màu địa bàn: tỷ lệ quá hạn" if mode == "overdue"
             else "Tô màu địa bàn: số phản ánh 30 ngày")
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


def tiles(k: dict[str, Any]) -> list:
    values = {
        "received_today": (number(k["received_today"]), ""),
        "waiting_at_ioc": (number(k["waiting_at_ioc"]), ""),
        "at_agencies": (number(k["at_agencies"]), ""),
        "overdue_now": (number(k["overdue_now"]), "bad" if k["overdue_now"] else "good"),
        "on_time_rate": (percent(k["on_time_rate"]), _tone(k["on_time_rate"], 0.9, 0.75)),
        "satisfaction_rate": (percent(k["satisfaction_rate"]),
                              _tone(k["satisfaction_rate"], 0.8, 0.6)),
    }
    return [kpi_tile(key, label, *values[key]) for key, label in TILES]


def _tone(rate: float | None, good: float, warn: float) -> str:
    if rate is None:
        return ""
    return "good" if rate >= good else "warn" if rate >= warn else "bad"


def ticker(data: dict[str, Any]) -> list:
    names = data.get("district_names", {})
    return [html.Li(className="ticker-item" + (" emergency" if r["emergency"] else ""), children=[
        html.Span(r["at"], className="t-time"),
        html.Span(r["code"], className="t-code"),
        html.Span([html.B("KHẨN", className="t-flag")] * r["emergency"] + [r["field"]],
                  className="t-field"),
        html.Span(names.get(r["district"], ""), className="t-district"),
        html.Span(r["state"], className="t-state"),
    ]) for r in data["ticker"]]


def choropleth(data: dict[str, Any], mode: str) -> dict[str, Any]:
    """Per district the value the map colours by, scaled 0-1, and a label for the tooltip."""
    districts = data["districts"]
    names = data.get("district_names", {})
    values: dict[str, dict[str, Any]] = {}
    top = max((d["received_30d"] for d in districts.values()), default=0) or 1
    for code, d in districts.items():
        rate = d["overdue"] / d["open"] if d["open"] else 0.0
        scaled = rate if mode == "overdue" else d["received_30d"] / top
        values[code] = {"v": round(scaled, 3),
                        "label": f"{names.get(code, code)}: {number(d['received_30d'])} phản ánh "
                                 f"30 ngày · {number(d['open'])} đang mở · quá hạn "
                                 f"{percent(rate)}"}
    return {"mode": mode, "values": values, "dark": True}


def heatmap_cells(data: dict[str, Any]) -> tuple[list[str], list[str], list[list[dict | None]]]:
    """(district names, agency names worst first, cells {open, overdue, rate} or None)."""
    cells = data["matrix"]
    names = data.get("district_names", {})
    districts = sorted({c["district"] for c in cells})
    totals: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for c in cells:
        t = totals.setdefault(c["agency"], [0, 0])
        t[0] += c["open"]
        t[1] += c["overdue"]
        labels[c["agency"]] = c["agency_name"]
    agencies = sorted(totals, key=lambda a: (-totals[a][1], -totals[a][0]))[:HEATMAP_AGENCIES]
    index = {(c["agency"], c["district"]): c for c in cells}
    rows = []
    for agency in agencies:
        row = []
        for district in districts:
            cell = index.get((agency, district))
            row.append({"open": cell["open"], "overdue": cell["overdue"],
                        "rate": cell["overdue"] / cell["open"]} if cell and cell["open"] else None)
        rows.append(row)
    return [names.get(d, d) for d in districts], [labels[a] for a in agencies], rows


def heat_colour(rate: float) -> str:
    """Green (none overdue) through amber to red (all overdue)."""
    for limit, colour in SCALE:
        if rate <= limit:
            return colour
    return SCALE[-1][1]


def heatmap(data: dict[str, Any]) -> html.Table:
    """The SLA heatmap as a plain table: legible from across the room, and no plotting library
    to download before the wall's first paint."""
    districts, agencies, rows = heatmap_cells(data)
    head = html.Tr([html.Th("")] + [html.Th(name, scope="col") for name in districts])
    body = [html.Tr([html.Th(agency, scope="row")] + [
        html.Td(f"{c['overdue']}/{c['open']}", style={"background": heat_colour(c["rate"])},
                title=f"{agency} · {district}: {c['overdue']} quá hạn / {c['open']} đang mở")
        if c else html.Td("", className="empty")
        for district, c in zip(districts, row, strict=True)])
        for agency, row in zip(agencies, rows, strict=True)]
    return html.Table([html.Thead(head), html.Tbody(body)], className="heat-table")


def register(app: Dash) -> None:
    @app.callback(
        Output("wall-clock", "children"), Output("wall-kpis", "children"),
        Output("wall-ticker", "children"), Output("wall-heatmap", "children"),
        Output("wall-districts", "hideout"), Output("wall-points", "url"),
        Output("wall-seen", "data"), Output("wall-mode", "children"),
        Output("wall-new", "data"),
        Input("wall-tick", "n_intervals"), State("wall-seen", "data"))
    def on_tick(n_intervals, seen):
        return tick(n_intervals, seen)
