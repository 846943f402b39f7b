"""The place layer of every map (`dashboard/widgets/map.py`): areas, or units once zoomed in
past `UNIT_ZOOM` (or when the page's toggle asks for them), coloured by the page's values.

A clientside callback, so zooming costs no request: it sends the layer's hideout again (which
also re-sends the values after the geometry has loaded: a hideout that arrives before it is lost).
`level_of` is the same rule in Python, for what the server draws beside the map (a legend).
"""

from __future__ import annotations

import json

from dash import Dash, Input, Output, State

from dashboard.widgets.map import APPROXIMATE_NOTE, UNIT_ZOOM


def level_of(zoom: float | None, toggle: str | None = None) -> str:
    """"unit" when the toggle asks for units or the map is zoomed in past UNIT_ZOOM (as
    assets/map.js decides), else "area"."""
    return "unit" if toggle == "unit" or (zoom or 0) >= UNIT_ZOOM else "area"


def hideout_function(names: list[str], *, dark: bool) -> str:
    """The clientside function of inputs `names` (values, zoom, toggle, mode, resend: those
    given) -> the layer's hideout. With `mode` the values are {mode: {values, units}}."""
    have = set(names)
    values = "values" if "values" in have else "null"
    if "mode" in have:
        values = f"Object.assign({{mode: mode}}, ({values} || {{}})[mode] || {{}})"
    toggle = "toggle" if "toggle" in have else "null"
    return (f"function ({', '.join([*names, 'current'])}) {{ return window.iocMap.levelHideout("
            f"{values}, zoom, {toggle}, {UNIT_ZOOM}, {json.dumps(dark)}, "
            f"{json.dumps(APPROXIMATE_NOTE, ensure_ascii=False)}, current); }}")


def register_places(app: Dash, prefix: str, *, dark: bool, values: Input | None = None,
                    toggle: Input | None = None, mode: Input | None = None,
                    resend: Input | None = None) -> None:
    """`<prefix>-places`' hideout from the map's zoom and, when given, the page's values (a
    store holding {mode, values, units}, or {mode: {values, units}} with `mode`), its level
    toggle and an interval that sends it again once the geometry has loaded."""
    given = {"values": values, "zoom": Input(f"{prefix}-map", "zoom"), "toggle": toggle,
             "mode": mode, "resend": resend}
    names = [name for name, item in given.items() if item is not None]
    app.clientside_callback(hideout_function(names, dark=dark),
                            Output(f"{prefix}-places", "hideout"),
                            *[given[name] for name in names],
                            State(f"{prefix}-places", "hideout"))
