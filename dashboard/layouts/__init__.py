"""Component builders, one module per page; `PAGE_LAYOUTS` maps each path to its builder."""

from dashboard.layouts import admin, agency, leaders, publish, triage, wall

PAGE_LAYOUTS = {
    "/wall": wall.layout,
    "/triage": triage.layout,
    "/agency": agency.layout,
    "/publish": publish.layout,
    "/admin": admin.layout,
    "/leaders": leaders.layout,
}
