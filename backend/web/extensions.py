"""Flask extensions, created unbound and attached in the factory (several workers, one app)."""

from __future__ import annotations

from flask import Flask, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def client_address() -> str:
    """The client as the rate limiter sees it (X-Forwarded-For is trusted only via ProxyFix)."""
    return get_remote_address() or request.remote_addr or "?"


def init_app(app: Flask) -> None:
    limiter.init_app(app)
