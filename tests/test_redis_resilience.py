"""TESTPLAN 18: Redis down or hung never takes intake down (rate limits fall back to memory)."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from backend.web.server import create_server

REPORT = {
    "description": "Cống thoát nước bị tắc gây ngập trước cổng chợ Thái",
    "lat": 21.5942, "lon": 105.8482, "name": "Trần Thị Bình", "phone": "0987654321",
    "consent": True,
}


def _submit(client):
    return client.post("/api/v1/reports", json=REPORT,
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_limits_live_in_redis_when_configured(ready_db: str, redis_url: str, monkeypatch) -> None:
    """With Redis configured, the counters are shared there (so all workers see one limit)."""
    monkeypatch.setenv("REDIS_URL", redis_url)
    app = create_server({"TESTING": True})
    assert app.config["RATELIMIT_STORAGE_URI"].startswith("redis://")
    response = _submit(app.test_client())
    assert response.status_code == 201, response.get_json()
    assert response.headers.get("X-RateLimit-Limit")


def test_intake_survives_redis_down(ready_db: str, monkeypatch) -> None:
    """A closed Redis port: submissions are still accepted (TESTPLAN 18, in-memory fallback)."""
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{_free_port()}/0")
    client = create_server({"TESTING": True}).test_client()
    statuses = [_submit(client).status_code for _ in range(3)]
    assert statuses == [201, 201, 201]


@pytest.fixture
def hung_redis():
    """A server that accepts connections and never answers (the worst kind of Redis trouble)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_intake_survives_hung_redis(ready_db: str, hung_redis: str, monkeypatch) -> None:
    """A hung Redis costs at most the socket timeout, then the limiter falls back to memory."""
    monkeypatch.setenv("REDIS_URL", hung_redis)
    client = create_server({"TESTING": True}).test_client()
    started = time.monotonic()
    response = _submit(client)
    assert response.status_code == 201, response.get_json()
    assert time.monotonic() - started < 5
