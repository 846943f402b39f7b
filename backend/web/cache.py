"""The server's shared cache: Redis when `REDIS_URL` is set (all workers share one entry, so
N wall screens cost one query), a per-process memory cache in the embedded default.

Used by the map routes and the dashboard's callbacks; a cache outage never takes a screen down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app
from flask_caching import Cache

from backend.web.settings import redis_url

T = TypeVar("T")
WAIT_FOR_FIRST = 10.0  # seconds a request waits for another's first computation of a family
log = logging.getLogger(__name__)


def init_app(server: Flask) -> Cache:
    if "ioc_cache" in server.extensions:
        return server.extensions["ioc_cache"]
    url = redis_url()
    config: dict[str, Any] = {"CACHE_DEFAULT_TIMEOUT": 120, "CACHE_KEY_PREFIX": "ioc-dash:"}
    if url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=url,
                      CACHE_OPTIONS={"socket_timeout": 0.3, "socket_connect_timeout": 0.3})
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=2000)
    cache = Cache(server, config=config)
    server.extensions["ioc_cache"] = cache
    return cache


def remember(key: str, timeout: int, compute: Callable[[], T]) -> T:
    """The cached value of `key`, computed once when missing. A cache outage never takes a screen
    down: the value is then computed directly (TESTPLAN: Redis down or hung)."""
    cache: Cache = current_app.extensions["ioc_cache"]
    try:
        value = cache.get(key)
    except Exception:  # redis errors are swallowed by flask-caching, but be sure
        log.warning("cache unavailable, computing %s directly", key)
        return compute()
    if value is None:
        value = compute()
        try:
            cache.set(key, value, timeout=timeout)
        except Exception:
            log.warning("cache unavailable, %s not stored", key)
    return value


def remember_latest(family: str, key: str, timeout: int,
                    compute: Callable[[], T]) -> tuple[str, T]:
    """(key, value) for `key`, computed by one request only: while it computes, the others get
    the latest value of the family with its own key (stale by at most one computation), so a
    burst of screens on a new data version costs one query and no screen waits for it."""
    cache: Cache = current_app.extensions["ioc_cache"]
    try:
        value = cache.get(f"{family}:{key}")
        if value is not None:
            return key, value
        if not cache.add(f"{family}:lock:{key}", 1, timeout=30):
            latest = cache.get(f"{family}:latest")
            if latest is not None:
                return latest
            # nothing to show yet (a cold start): wait for the one computing it, do not pile on
            deadline = time.monotonic() + WAIT_FOR_FIRST
            while time.monotonic() < deadline:
                time.sleep(0.05)
                value = cache.get(f"{family}:{key}")
                if value is not None:
                    return key, value
    except Exception:
        log.warning("cache unavailable, computing %s directly", key)
        return key, compute()
    value = compute()
    try:
        cache.set(f"{family}:{key}", value, timeout=timeout)
        cache.set(f"{family}:latest", (key, value), timeout=max(timeout, 600))
    except Exception:
        log.warning("cache unavailable, %s not stored", key)
    return key, value
