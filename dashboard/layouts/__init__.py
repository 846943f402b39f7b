"""What the dashboard draws: functions that build components (each page's `layout(staff)`, as the
viewer first sees it, and the renderers that turn data into components). A layout reads no
callback and registers none: the behaviour is in `dashboard/callbacks/`, which may import these
modules (never the reverse). One module per page, or a folder when a page needs more than a
screenful (`leaders/`, `admin/` with one module per tab); the frame around the pages is `shell`,
`login` and `not_found`. Pieces several pages share are in `dashboard/widgets/`; the list of pages
is `dashboard/pages.py`."""
