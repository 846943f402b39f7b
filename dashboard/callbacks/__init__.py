"""What the dashboard does: every `register(app)`, the callbacks it wires and the plain functions
behind them (tested without Dash). One module per page, or a folder when a page needs more than
a screenful (`leaders/`, `admin/` with one module per tab); the frame's are `router` (the page for
the URL and the viewer's role, sign-out) and `login`; `workflow` wires the shared widgets of the
workflow pages (triage, agency, publishing). Callbacks may import `dashboard/layouts/` and
`dashboard/widgets/` for the components they send; those never import callbacks."""
