"""Leadership `/leaders` (drawn by `dashboard/layouts/leaders/`): what the page does.

Where the parts are:
- `page`: the wiring of the filters and the sections (every section for the selection, the
  trend, the heatmap and places table with their drill-down from areas to units, the map of
  areas and units), which also registers `drilldown` and `packs`;
- `data`: the period and filters picked, and their names (the figures themselves come through
  the shared cache from `backend.web.leaders_data`);
- `drilldown`: what a click on a number opens in the side panel, and the leader's direction;
- `packs`: the report packs, made in the background.
"""

from __future__ import annotations

from dashboard.callbacks.leaders.page import register

__all__ = ["register"]
