"""Flask extensions, created unbound and attached in the factory (several workers, one app)."""

from __future__ import annotations

import threading
import time

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage

limiter = Limiter(key_func=get_remote_address, default_limits=[])
MEMORY_STORAGE_URI = "ioc-memory://"


class SweptMemoryStorage(MemoryStorage):
    """limits' in-process storage (used when `REDIS_URL` is unset), minus a thread per request.

    `MemoryStorage` starts a new `threading.Timer` on a hit whenever the previous one has run
    (soon after), so under load nearly every request starts a thread just to drop expired
    counters (~6 % of a submission's CPU, docs/benchmarks.md). Here that sweep runs inline, at
    most once a second; counting is unchanged (an expired counter is already ignored on read).
    """

    STORAGE_SCHEME = ["ioc-memory"]  # noqa: RUF012 - the registry reads the class attribute
    SWEEP_EVERY = 1.0  # seconds

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self._next_sweep = 0.0
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides the private hook
        now = time.monotonic()
        if now < self._next_sweep or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._next_sweep = now + self.SWEEP_EVERY
            self._MemoryStorage__expire_events()
        finally:
            self._sweeping.release()


def client_address() -> str:
    """The client as the rate limiter sees it (X-Forwarded-For is trusted only via ProxyFix)."""
    return get_remote_address() or request.remote_addr or "?"


def init_app(app: Flask) -> None:
    limiter.init_app(app)
