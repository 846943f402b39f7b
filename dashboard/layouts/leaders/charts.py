"""The page's pictures: the twelve-month trend and the agency × area heatmap (or agency × unit
for one area: the drill-down), as Plotly figures in plain dicts; the map's colours per area and
per unit with its legend, and the places table (the areas, or one area's units). Pure: the
page's data (`backend.services.kpis.leaders.overview`) in, figures and components out."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from backend import vietnamese as vn
from backend.services.places.catalogue import AREA_LABEL, UNIT_LABEL
from dashboard.layouts.leaders.kpis import drill
from dashboard.layouts.leaders.page import PREFIX

PLOT_FONT = {"family": "Be Vietnam Pro, system-ui, sans-serif", "size": 12, "color": "#334155"}
COLOURS = {"bar": "#cbd5e1", "bar_on": "#1e40af", "e2e": "#1d4ed8", "process": "#0d9488",
           "satisfied": "#a21caf", "target": "#dc2626"}
HEAT_SCALE = [[0.0, "#b91c1c"], [0.35, "#f97316"], [0.6, "#fbbf24"], [0.8, "#a3e635"],
              [1.0, "#15803d"]]
MAP_TITLES = {"late": ("e2e.late", "Tỷ lệ trễ hạn toàn quy trình"),
              "overdue": ("e2e.overdue", "Tỷ lệ đang quá hạn trên số đang mở")}


def _plot_layout(**extra) -> dict:
    layout = {"font": PLOT_FONT, "separators": ",.", "paper_bgcolor": "rgba(0,0,0,0)",
              "plot_bgcolor": "rgba(0,0,0,0)", "hoverlabel": {"font": PLOT_FONT, "bgcolor": "#fff"},
              "margin": {"l": 8, "r": 8, "t": 8, "b": 8}}
    layout.update(extra)
    return layout


def trend_figure(months: list[dict], selected: set[str], targets: dict[str, float | None]) -> dict:
    """Bars: reports received each month (the chosen period's months dark); lines: on-time
    rates end to end and of the processing step, and satisfaction, against the target."""
    labels = [m["label"] for m in months]
    codes = [m["month"] for m in months]
    received = [m["received"] for m in months]
    data = [
        {"type": "bar", "x": labels, "y": received, "name": "Tiếp nhận", "customdata": codes,
         "marker": {"color": [COLOURS["bar_on"] if c in selected else COLOURS["bar"]
                              for c in codes]},
         "hovertemplate": "Tháng %{x}<br>Tiếp nhận: %{y:,.0f} phản ánh<extra></extra>"},
    ]
    for key, name, colour in (("rate.on_time.e2e", "Đúng hạn toàn quy trình", COLOURS["e2e"]),
                              ("rate.on_time.process", "Đúng hạn bước xử lý",
                               COLOURS["process"]),
                              ("rate.satisfied", "Hài lòng, chấp nhận được",
                               COLOURS["satisfied"])):
        data.append({"type": "scatter", "mode": "lines+markers", "x": labels,
                     "y": [m[key] for m in months], "name": name, "yaxis": "y2",
                     "customdata": codes, "line": {"color": colour, "width": 2.5},
                     "marker": {"size": 6}, "connectgaps": False,
                     "hovertemplate": f"Tháng %{{x}}<br>{name}: %{{y:.1%}}<extra></extra>"})
    target = targets.get("e2e")
    shapes = []
    if target is not None:
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y2",
                       "y0": target, "y1": target,
                       "line": {"color": COLOURS["target"], "width": 1.5, "dash": "dot"}})
    layout = _plot_layout(
        height=300, bargap=0.35, hovermode="x unified", shapes=shapes,
        margin={"l": 52, "r": 52, "t": 34, "b": 34},
        legend={"orientation": "h", "x": 0, "y": 1.16, "font": {"size": 12}},
        xaxis={"type": "category", "showgrid": False, "tickfont": {"size": 11}},
        yaxis={"title": {"text": "Phản ánh", "font": {"size": 11}}, "gridcolor": "#eef2f7",
               "tickformat": ",.0f", "rangemode": "tozero", "fixedrange": True},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.04], "tickformat": ".0%",
                "tickmode": "array", "tickvals": [0, 0.2, 0.4, 0.6, 0.8, 1.0],
                "showgrid": False, "fixedrange": True,
                "title": {"text": "Tỷ lệ", "font": {"size": 11}}},
        annotations=[{"xref": "paper", "x": 0, "yref": "y2", "y": target, "yanchor": "bottom",
                      "xanchor": "left", "showarrow": False,
                      "text": f"Mục tiêu đúng hạn {vn.percent(target, 0)}",
                      "font": {"size": 10, "color": COLOURS["target"]}}] if target else [],
    )
    return {"data": data, "layout": layout}


NONE = "-"  # the KPIs' code of "no area" / "no unit"
AREA_OPEN = f"{PREFIX}-area-open"  # {"type": AREA_OPEN, "area": code or ""}: drill into an area


def heat_cells(view: dict, area: str | None, order: Sequence[str]) -> tuple[list[dict], list[str]]:
    """(the heatmap's cells, its columns' place codes in order): agency × area, the areas in
    their display order `order`; for one `area`, agency × its units by name. The group of
    reports without a place ("-") comes last."""
    if area:
        units = {u["code"] for u in view["units"] if u["area"] == area}
        cells = [c for c in view["unit_matrix"] if c["place"] in units]
        names = {c["place"]: c["place_name"] for c in cells}
        places = sorted(names, key=lambda code: vn.sort_key(names[code]))
    else:
        cells = list(view["matrix"])
        rank = {code: n for n, code in enumerate(order)}
        places = sorted({c["place"] for c in cells},
                        key=lambda code: (code == NONE, rank.get(code, len(rank)), code))
    return cells, places


def column_label(name: str) -> str:
    """A column heading on at most two lines: "TP<br>Thái Nguyên", "Phan Đình<br>Phùng" (a
    unit's kind is left out: the hover names it in full)."""
    for kind in ("Phường ", "Xã "):
        if name.startswith(kind) and len(name) > len(kind) + 3:
            name = name[len(kind):]
    if len(name) <= 10 or " " not in name:
        return name
    words = name.split(" ")
    cut = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(name) / 2))
    return " ".join(words[:cut]) + "<br>" + " ".join(words[cut:])


def heatmap_figure(view: dict, area: str | None = None, order: Sequence[str] = ()) -> dict:
    """Agencies (worst first) × areas (or one area's units): the processing step's on-time
    rate; a cell's customdata names the agency and the place, for the click-through."""
    cells, places = heat_cells(view, area, order)
    level = "unit" if area else "area"
    if not cells:
        return _empty_plot("Chưa có phản ánh nào được chuyển cơ quan xử lý trong kỳ này."
                           if not area else
                           "Chưa có phản ánh nào của khu vực này được chuyển cơ quan xử lý.")
    place_names = {c["place"]: c["place_name"] for c in cells}
    names = {c["agency"]: c["agency_short"] or c["agency_name"] for c in cells}
    overall = {r["agency"]: r["on_time_rate"] for r in view["ranking"]}
    agencies = sorted(names, key=lambda a: (2 if overall.get(a) is None else overall[a], names[a]))
    index = {(c["agency"], c["place"]): c for c in cells}
    z, text, custom = [], [], []
    for agency in agencies:
        zr, tr, cr = [], [], []
        for place in places:
            c = index.get((agency, place))
            rate = c["on_time_rate"] if c else None
            zr.append(rate)
            tr.append(vn.percent(rate, 0) if rate is not None else "")
            cr.append([agency, place, c["late"] if c else 0, c["received"] if c else 0,
                       c["overdue"] if c else 0, c["agency_name"] if c else "", level,
                       place_names[place]])
        z.append(zr)
        text.append(tr)
        custom.append(cr)
    height = max(260, 28 * len(agencies) + 70)
    data = [{"type": "heatmap", "z": z, "x": [column_label(place_names[p]) for p in places],
             "y": [names[a] for a in agencies], "text": text, "texttemplate": "%{text}",
             "textfont": {"size": 11}, "customdata": custom, "zmin": 0.5, "zmax": 1,
             "colorscale": HEAT_SCALE, "xgap": 2, "ygap": 2, "hoverongaps": False,
             "colorbar": {"tickformat": ".0%", "thickness": 10, "len": 0.9,
                          "title": {"text": "Đúng hạn", "side": "right", "font": {"size": 11}}},
             "hovertemplate": "<b>%{customdata[5]}</b><br>%{customdata[7]}<br>Đúng hạn bước xử "
                              "lý: %{z:.1%}<br>Trễ hạn: %{customdata[2]:,.0f} · đang quá hạn: "
                              "%{customdata[4]:,.0f}<br>Tiếp nhận: %{customdata[3]:,.0f} phản ánh"
                              "<extra></extra>"}]
    layout = _plot_layout(height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                          xaxis={"side": "top", "tickfont": {"size": 11}, "fixedrange": True,
                                 "tickangle": 0, "automargin": True},
                          yaxis={"autorange": "reversed", "tickfont": {"size": 11},
                                 "fixedrange": True, "automargin": True, "ticksuffix": "  "},
                          plot_bgcolor="#f1f5f9")
    return {"data": data, "layout": layout}


def _empty_plot(text: str) -> dict:
    return {"data": [], "layout": _plot_layout(
        height=220, xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": text, "showarrow": False, "font": {"size": 14, "color": "#64748b"},
                      "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}])}


def map_values(view: dict) -> dict:
    """Both colourings of the map, per area (`values`) and per unit (`units`): for each mode
    {code: {v 0-1, label}} and each level's range for the legend.

    v is the place's rate scaled between the best and the worst place of its level (so the
    colours show the spread); the tooltip and the legend give the real rates.
    """
    out: dict = {}
    for mode in MAP_TITLES:
        areas, low, high = _level_values(view["areas"], mode, f"{AREA_LABEL} ")
        units, unit_low, unit_high = _level_values(view["units"], mode)
        out[mode] = {"values": areas, "units": units, "low": low, "high": high,
                     "unit_low": unit_low, "unit_high": unit_high}
    return out


def _rate(row: dict, mode: str) -> float | None:
    if mode == "late":
        on_time = row["rate.on_time.e2e"]
        return None if on_time is None else 1 - on_time
    return row["rate.overdue"]


def _level_values(rows: list[dict], mode: str, prefix: str = ""
                  ) -> tuple[dict[str, dict], float, float]:
    rates = {r["code"]: _rate(r, mode) for r in rows if r["code"] != NONE}
    known = [r for r in rates.values() if r is not None]
    low, high = (min(known), max(known)) if known else (0.0, 0.0)
    values = {}
    for r in rows:
        rate = rates.get(r["code"])
        if rate is None:
            continue
        scaled = (rate - low) / (high - low) if high > low else 0.5
        detail = (f"{vn.integer(r['e2e.late'])} trễ hạn / "
                  f"{vn.integer(r['e2e.on_time'] + r['e2e.late'])} đã xác định" if mode == "late"
                  else f"{vn.integer(r['e2e.overdue'])} quá hạn / {vn.integer(r['open'])} đang mở")
        values[r["code"]] = {"v": round(scaled, 3), "label": f"{prefix}{r['name']}: "
                             f"{vn.percent(rate)} ({detail}) · {vn.integer(r['received'])} phản ánh"}
    return values, low, high


def place_table(view: dict, area: str | None = None) -> html.Div | html.P:
    """The areas, most late first (an area's name opens its units); for one `area`, its units.
    Late share end to end, late, overdue now, received; every count opens its reports."""
    if area:
        rows = [u for u in view["units"] if u["area"] == area and u["code"] != NONE]
        name = next((a["name"] for a in view["areas"] if a["code"] == area), area)
        back = html.Button(f"← Mọi {AREA_LABEL.lower()}", id={"type": AREA_OPEN, "area": ""},
                           n_clicks=0, className="btn btn-small ld-back-areas")
        head_note = [html.Span(f"{UNIT_LABEL} của {AREA_LABEL.lower()} {name}",
                               className="ld-places-title"), back]
    else:
        rows = [a for a in view["areas"] if a["code"] != NONE]
        head_note = []
    if not rows:
        return html.Div([*head_note, html.P("Chưa có phản ánh nào trong kỳ này.",
                                            className="muted ld-empty")])
    rows = sorted(rows, key=lambda d: (d["rate.on_time.e2e"] is None, d["rate.on_time.e2e"] or 0))
    level = "unit" if area else "area"
    head = html.Tr([html.Th(UNIT_LABEL if area else AREA_LABEL),
                    html.Th("Tỷ lệ trễ", className="num"),
                    html.Th("Phản ánh trễ", className="num",
                            title="Phản ánh trễ hạn toàn quy trình"),
                    html.Th("Quá hạn", className="num", title="Đang quá hạn"),
                    html.Th("Tiếp nhận", className="num")])
    body = [html.Tr([
        html.Td(d["name"] if area else html.Button(
            f"{d['name']} ›", id={"type": AREA_OPEN, "area": d["code"]}, n_clicks=0,
            className="link-btn ld-area-open", title=f"Xem các {UNIT_LABEL.lower()} của khu vực")),
        html.Td(vn.percent(None if d["rate.on_time.e2e"] is None else 1 - d["rate.on_time.e2e"]),
                className="num strong"),
        *[html.Td(drill(vn.integer(d[key]), key, d[key], at="place",
                        class_name="" if key == "received" else "bad", **{level: d["code"]}),
                  className="num")
          for key in ("e2e.late", "e2e.overdue", "received")],
    ]) for d in rows]
    return html.Div([*head_note, html.Table([html.Thead(head), html.Tbody(body)],
                                            className="ld-table places")])


def map_legend(values: dict | None, mode: str, level: str = "area") -> list:
    """The map's colour scale for the level shown (areas, or units once zoomed in)."""
    if not values or mode not in values:
        return []
    item = values[mode]
    low, high = ((item["unit_low"], item["unit_high"]) if level == "unit"
                 else (item["low"], item["high"]))
    where = UNIT_LABEL.lower() if level == "unit" else AREA_LABEL.lower()
    return [html.Span(f"{MAP_TITLES[mode][1]}, theo {where}", className="lg-title"),
            html.Span(vn.percent(low), className="lg-low"),
            html.I(className="lg-scale"),
            html.Span(vn.percent(high), className="lg-high")]
