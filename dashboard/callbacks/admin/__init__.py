"""Administration `/admin` (drawn by `dashboard/layouts/admin/`): what the page does.

One module per tab (`users`, `agencies`, `fields`, `budgets`, `calendar`, `log`), each with its
own `register(app)`; `common` holds the steps they share and `confirm` the one confirmation
dialog every destructive change goes through. A write calls one service; a refusal
(`ValidationError`) is shown under the form field it names, anything else under the form. Every
callback starts with the admin check (`common.require_admin`).
"""

from __future__ import annotations

from dash import Dash

from dashboard.callbacks.admin import agencies, budgets, calendar, confirm, fields, log, users

TAB_MODULES = (users, agencies, fields, budgets, calendar, log)


def register(app: Dash) -> None:
    for tab in TAB_MODULES:
        tab.register(app)
    confirm.register(app)
