"""The page's pictures: the twelve-month trend and the agency × district heatmap (Plotly
figures as plain dicts), and the district map's colours, legend and table. Pure: the page's data
in, figures and components out."""

from __future__ import annotations

from dash import html

from backend import vietnamese as vn
from dashboard.layouts.leaders.kpis import drill, short_district

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


def heatmap_figure(view: dict) -> dict:
    """Agencies (worst first) × districts: the processing step's on-time rate."""
    cells = view["matrix"]
    if not cells:
        return _empty_plot("Chưa có phản ánh nào được chuyển cơ quan xử lý trong kỳ này.")
    districts = sorted({c["district"] for c in cells})
    district_names = {c["district"]: short_district(c["district_name"]) for c in cells}
    names = {c["agency"]: c["agency_short"] or c["agency_name"] for c in cells}
    overall = {r["agency"]: r["on_time_rate"] for r in view["ranking"]}
    agencies = sorted(names, key=lambda a: (2 if overall.get(a) is None else overall[a], names[a]))
    index = {(c["agency"], c["district"]): c for c in cells}
    z, text, custom = [], [], []
    for agency in agencies:
        zr, tr, cr = [], [], []
        for district in districts:
            c = index.get((agency, district))
            rate = c["on_time_rate"] if c else None
            zr.append(rate)
            tr.append(vn.percent(rate, 0) if rate is not None else "")
            cr.append([agency, district, c["late"] if c else 0, c["received"] if c else 0,
                       c["overdue"] if c else 0, c["agency_name"] if c else ""])
        z.append(zr)
        text.append(tr)
        custom.append(cr)
    height = max(260, 28 * len(agencies) + 70)
    columns = [district_names[d].replace("TP ", "TP<br>").replace("TX ", "TX<br>")
               if len(district_names[d]) > 10 else district_names[d] for d in districts]
    data = [{"type": "heatmap", "z": z, "x": columns,
             "y": [names[a] for a in agencies], "text": text, "texttemplate": "%{text}",
             "textfont": {"size": 11}, "customdata": custom, "zmin": 0.5, "zmax": 1,
             "colorscale": HEAT_SCALE, "xgap": 2, "ygap": 2, "hoverongaps": False,
             "colorbar": {"tickformat": ".0%", "thickness": 10, "len": 0.9,
                          "title": {"text": "Đúng hạn", "side": "right", "font": {"size": 11}}},
             "hovertemplate": "<b>%{customdata[5]}</b><br>%{x}<br>Đúng hạn bước xử lý: %{z:.1%}"
                              "<br>Trễ hạn: %{customdata[2]:,.0f} · đang quá hạn: "
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
    """Both colourings of the district map: for each mode {code: {v 0-1, label}} and the legend.

    v is the district's rate scaled between the best and the worst district (so the colours
    show the spread); the tooltip and the legend give the real rates.
    """
    out: dict = {}
    for mode in MAP_TITLES:
        rates = {}
        for d in view["districts"]:
            if d["district"] == "-":
                continue
            on_time = d["rate.on_time.e2e"]
            rates[d["district"]] = (None if on_time is None else 1 - on_time) if mode == "late" \
                else d["rate.overdue"]
        known = [r for r in rates.values() if r is not None]
        low, high = (min(known), max(known)) if known else (0.0, 0.0)
        values = {}
        for d in view["districts"]:
            code, rate = d["district"], rates.get(d["district"])
            if rate is None:
                continue
            scaled = (rate - low) / (high - low) if high > low else 0.5
            detail = (f"{vn.integer(d['e2e.late'])} trễ hạn / {vn.integer(d['e2e.on_time'] + d['e2e.late'])}"
                      " đã xác định" if mode == "late"
                      else f"{vn.integer(d['e2e.overdue'])} quá hạn / {vn.integer(d['open'])} đang mở")
            values[code] = {"v": round(scaled, 3), "label": f"{short_district(d['name'])}: "
                            f"{vn.percent(rate)} ({detail}) · {vn.integer(d['received'])} phản ánh"}
        out[mode] = {"values": values, "low": low, "high": high}
    return out


def district_table(view: dict) -> html.Table | html.P:
    """The districts, most late first: late share end to end, late, overdue now, received."""
    rows = [d for d in view["districts"] if d["district"] != "-"]
    if not rows:
        return html.P("Chưa có phản ánh nào trong kỳ này.", className="muted ld-empty")
    rows.sort(key=lambda d: (d["rate.on_time.e2e"] is None, d["rate.on_time.e2e"] or 0))
    head = html.Tr([html.Th("Địa bàn"), html.Th("Tỷ lệ trễ", className="num"),
                    html.Th("Phản ánh trễ", className="num",
                            title="Phản ánh trễ hạn toàn quy trình"),
                    html.Th("Quá hạn", className="num", title="Đang quá hạn"),
                    html.Th("Tiếp nhận", className="num")])
    body = [html.Tr([
        html.Td(short_district(d["name"])),
        html.Td(vn.percent(None if d["rate.on_time.e2e"] is None else 1 - d["rate.on_time.e2e"]),
                className="num strong"),
        html.Td(drill(vn.integer(d["e2e.late"]), "e2e.late", d["e2e.late"], at="district",
                      class_name="bad", district=d["district"]), className="num"),
        html.Td(drill(vn.integer(d["e2e.overdue"]), "e2e.overdue", d["e2e.overdue"], at="district",
                      class_name="bad", district=d["district"]), className="num"),
        html.Td(drill(vn.integer(d["received"]), "received", d["received"], at="district",
                      district=d["district"]), className="num"),
    ]) for d in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="ld-table districts")


def map_legend(values: dict | None, mode: str) -> list:
    if not values or mode not in values:
        return []
    item = values[mode]
    return [html.Span(MAP_TITLES[mode][1], className="lg-title"),
            html.Span(vn.percent(item["low"]), className="lg-low"),
            html.I(className="lg-scale"),
            html.Span(vn.percent(item["high"]), className="lg-high")]
