"""Callback registration, one module per page; each `register(app)` wires its page."""

from dashboard.callbacks import admin, agency, leaders, login, publish, router, triage, wall

PAGE_CALLBACKS = [router.register, login.register, wall.register, triage.register,
                  agency.register, publish.register, admin.register, leaders.register]
