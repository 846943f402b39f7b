"""Component builders, one module per page; `PAGE_LAYOUTS` maps each path to its builder."""

from dashboard.layouts import wall

PAGE_LAYOUTS = {
    "/wall": wall.layout,
}
