"""Callback registration, one module per page; each `register(app)` wires its page."""

from dashboard.callbacks import login, router, wall

PAGE_CALLBACKS = [router.register, login.register, wall.register]
