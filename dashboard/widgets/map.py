"""The Thái Nguyên map shared by the wall, triage and leaders pages: vector boundaries (no tile
server needed) of the 17 areas ("Khu vực") and, zoomed in, of the 92 units ("Xã/phường"), a
configurable tile layer, report points from the cacheable points route, and the legend of the
points' SLA colours.

One GeoJSON layer `<prefix>-places` draws the boundaries route's features (kind province, area,
unit); its `hideout` says which level shows (`level`: "area" or "unit", set by
`dashboard/callbacks/maps.py` from the zoom) and the choropleth's values per area (`values`)
and per unit (`units`): see assets/map.js.
"""

from __future__ import annotations

import os

import dash_leaflet as dl
from dash import html

from backend.services.places.lookup import map_bounds

CENTER = [21.68, 105.85]  # before the bounds apply: fitted to the screen at once
BOUNDARIES_URL = "/api/v1/map/boundaries.geojson"
POINTS_URL = "/api/v1/map/points.geojson"
EMPTY = {"type": "FeatureCollection", "features": []}
LEGEND = (("on_time", "Trong hạn"), ("at_risk", "Sắp đến hạn"), ("overdue", "Quá hạn"),
          ("overdue_notified", "Quá hạn, đã thông báo"), ("emergency", "Khẩn cấp"))
UNIT_ZOOM = 11  # from this zoom on, the map shows the units instead of the areas
APPROXIMATE_NOTE = "Ranh giới xã/phường gần đúng"


def tile_layer() -> list:
    """`IOC_TILE_URL` (e.g. a local tile server) when set; none by default: no internet here."""
    url = os.environ.get("IOC_TILE_URL", "").strip()
    attribution = os.environ.get("IOC_TILE_ATTRIBUTION", "")
    return [dl.TileLayer(url=url, attribution=attribution, maxZoom=19)] if url else []


def place_layer(prefix: str, dark: bool) -> dl.GeoJSON:
    """`<prefix>-places`: the province, its areas (or, zoomed in, its units), coloured by the
    hideout's values; the tooltip names the place (and its figures when coloured)."""
    return dl.GeoJSON(id=f"{prefix}-places", url=BOUNDARIES_URL,
                      style={"variable": "iocMap.placeStyle"},
                      filter={"variable": "iocMap.placeFilter"},
                      onEachFeature={"variable": "iocMap.placeTooltip"},
                      hideout=hideout({}, {}, dark=dark))


def hideout(values: dict, units: dict, *, dark: bool, mode: str = "none",
            level: str = "area") -> dict:
    """What the place layer's functions read (assets/map.js); `note` is shown on the map while
    it draws unit boundaries that say they are approximate."""
    return {"mode": mode, "values": values, "units": units, "dark": dark, "level": level,
            "note": APPROXIMATE_NOTE}


def report_map(prefix: str, *, dark: bool, points_url: str = "", cluster: bool = True,
               newest: bool = False) -> dl.Map:
    """A map with ids `<prefix>-map`, `<prefix>-places` (areas and units, choropleth via
    hideout) and `<prefix>-points` (clustered reports coloured by SLA); with `newest`,
    `<prefix>-new` shows the newest reports from the page's own tick until the next minute's
    points arrive."""
    return dl.Map(
        id=f"{prefix}-map", center=CENTER, zoom=10, zoomSnap=0.25, preferCanvas=True,
        viewport={"bounds": map_bounds()},
        className="report-map dark" if dark else "report-map",
        children=[
            *tile_layer(),
            place_layer(prefix, dark),
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
