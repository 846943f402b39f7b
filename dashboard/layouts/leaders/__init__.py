"""Leadership `/leaders` (provincial leaders, D2.2d, D13.5, D14.4): how the regulation is carried
out, for a month or a quarter, against the targets.

KPI tiles (value, target, change on the previous period), twelve months of trends, on-time rates
per stage, SLA heatmaps per agency and area ("Khu vực", drilled down to one area's units,
"Xã/phường") and the map of areas and units, the agency ranking (small
samples set apart), satisfaction, misrouting and rework, escalations waiting for direction and
the overdue list with the unit responsible. Every number opens the reports behind it in a side
panel, where a report is read only, except that a provincial leader directs an escalated one to
an agency (D7.2c); the monthly and quarterly packs are made in the background and downloaded.

What is drawn (what it does is in `dashboard/callbacks/leaders/`):
- `page`: the page as first drawn (filters, pack buttons, cards with empty slots, the map, the
  side panel);
- `kpis`, `charts`, `tables`: the sections, drawn from the page's figures (pure functions);
- `drilldown`: what the side panel shows (the codes behind a number, one report, the leader's
  direction form and its answer);
- `packs`: the line shown once a report pack is made.
"""

from __future__ import annotations

from dashboard.layouts.leaders.page import layout

__all__ = ["layout"]
