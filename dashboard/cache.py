"""The dashboard uses the server's shared cache (backend/web/cache.py): one place, one config."""

from backend.web.cache import init_app, remember, remember_latest

__all__ = ["init_app", "remember", "remember_latest"]
