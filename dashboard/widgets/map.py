"""The Thái Nguyên map shared by the wall and triage pages: vector boundaries (no tile server
needed), a configurable tile layer, report points from the cacheable points route, and the
legend of the points' SLA colours."""

from __future__ import annotations

import os

import dash_leaflet as dl
from dash import html

from backend.services.intake.places import map_bounds

CENTER = [21.68, 105.85]  # before the bounds apply: fitted to the screen at once
BOUNDARIES_URL = "/api/v1/map/boundaries.geojson"
POINTS_URL = "/api/v1/map/points.geojson"
EMPTY = {"type": "FeatureCollection", "features": []}
LEGEND = (("on_time", "Trong hạn"), ("at_risk", "Sắp đến hạn"), ("overdue", "Quá hạn"),
          ("overdue_notified", "Quá hạn, đã thông báo"), ("emergency", "Khẩn cấp"))


def tile_layer() -> list:
    """`IOC_TILE_URL` (e.g. a local tile server) when set; none by default: no internet here."""
    url = os.environ.get("IOC_TILE_URL", "").strip()
    attribution = os.environ.get("IOC_TILE_ATTRIBUTION", "")
    return [dl.TileLayer(url=url, attribution=attribution, maxZoom=19)] if url else []


def report_map(prefix: str, *, dark: bool, points_url: str = "", cluster: bool = True,
               newest: bool = False) -> dl.Map:
    """A map with ids `<prefix>-map`, `<prefix>-districts` (choropleth via hideout) and
    `<prefix>-points` (clustered reports coloured by SLA); with `newest`, `<prefix>-new` shows
    the newest reports from the page's own tick until the next minute's points arrive."""
    return dl.Map(
        id=f"{prefix}-map", center=CENTER, zoom=10, zoomSnap=0.25, preferCanvas=True,
        viewport={"bounds": map_bounds()},
        className="report-map dark" if dark else "report-map",
        children=[
            *tile_layer(),
            dl.GeoJSON(id=f"{prefix}-districts", url=BOUNDARIES_URL,
                       style={"variable": "iocMap.districtStyle"},
                       onEachFeature={"variable": "iocMap.districtTooltip"},
                       hideout={"mode": "none", "values": {}, "dark": dark}),
            dl.GeoJSON(id=f"{prefix}-points", url=points_url or POINTS_URL, cluster=cluster,
                       zoomToBoundsOnClick=True, superClusterOptions={"radius": 56, "maxZoom": 15},
                       pointToLayer={"variable": "iocMap.pointToLayer"},
                       clusterToLayer={"variable": "iocMap.clusterToLayer"},
                       hideout={"selected": None}),
            *([dl.GeoJSON(id=f"{prefix}-new", data=EMPTY,
                          pointToLayer={"variable": "iocMap.newToLayer"})] if newest else []),
            dl.ScaleControl(position="bottomleft", imperial=False),
        ],
    )


def legend() -> html.Div:
    """The points' colours by SLA status, under the map."""
    return html.Div(className="legend", children=[
        html.Span([html.I(className=f"dot sla-{key}"), text], className="legend-item")
        for key, text in LEGEND])
