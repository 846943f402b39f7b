"""The Flask server that hosts the API, the portal and (mounted by dashboard.wsgi) the dashboard.

Vietnamese on every screen, times shown in Asia/Ho_Chi_Minh as dd/mm/yyyy HH:MM.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask, jsonify, render_template_string
from sqlalchemy import text

from backend import vietnamese as vn
from backend.config import LOCAL_TZ as LOCAL
from backend.services.reads.overview import overview
from backend.storage.db import engine_for
from backend.web import cache, extensions, settings
from backend.web.errors import api_error, register_error_handlers
from backend.web.signin import init_login

_STATUS_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="10">
<title>IOC Thái Nguyên - Phản ánh hiện trường</title>
<style>
 body{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
 header{padding:16px 24px;background:#1e293b;border-bottom:3px solid #dc2626}
 h1{margin:0;font-size:22px} main{padding:16px 24px;display:grid;gap:24px;grid-template-columns:1fr 2fr}
 table{border-collapse:collapse;width:100%} td,th{padding:6px 8px;border-bottom:1px solid #334155;text-align:left}
 th{color:#94a3b8;font-weight:600} .n{text-align:right;font-variant-numeric:tabular-nums}
 .emg{color:#f87171;font-weight:700} small{color:#94a3b8}
</style></head><body>
<header><h1>Trung tâm Điều hành thông minh tỉnh Thái Nguyên - Phản ánh hiện trường</h1>
<small>Trạng thái hệ thống lúc {{ now }} · tổng số phản ánh: {{ integer(data.total) }}</small></header>
<main>
<section><h2>Theo trạng thái</h2><table>
<tr><th>Trạng thái</th><th class="n">Số phản ánh</th></tr>
{% for state, label, n in data.by_state %}<tr><td>{{ label }}</td><td class="n">{{ n }}</td></tr>{% endfor %}
</table></section>
<section><h2>Phản ánh mới nhất</h2><table>
<tr><th>Mã</th><th>Thời gian gửi</th><th>Lĩnh vực</th><th>Trạng thái</th><th>Cơ quan xử lý</th></tr>
{% for r in data.recent %}<tr><td>{{ r.code }}{% if r.emergency %} <span class="emg">KHẨN</span>{% endif %}</td>
<td>{{ fmt(r.submitted_at) }}</td><td>{{ r.field_name or "Chưa phân loại" }}</td>
<td>{{ r.state_label }}</td><td>{{ r.agency_name or "" }}</td></tr>{% endfor %}
</table></section>
</main></body></html>"""


def create_server(config: dict | None = None) -> Flask:
    """Application factory: configuration and extensions live here, nothing at import time."""
    server = Flask(__name__)
    server.config.update(settings.flask_config())
    server.config.update(config or {})
    server.json.ensure_ascii = False
    register_error_handlers(server, prefixes=("/api/", "/open311/"))
    extensions.init_app(server)
    cache.init_app(server)
    init_login(server)
    for blueprint in _blueprints():
        server.register_blueprint(blueprint)

    @server.get("/status")
    def status_page():
        data = overview()
        return render_template_string(
            _STATUS_PAGE, data=data, fmt=vn.date_time, integer=vn.integer,
            now=vn.date_time(datetime.now(LOCAL)),
        )

    @server.route("/api/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @server.route("/open311/<path:_rest>", methods=["GET", "POST"])
    def unknown_api_route(_rest: str):
        """Unknown API paths answer with the API's JSON 404, not with the dashboard's page."""
        return api_error(404)

    @server.get("/healthz")
    def health():
        with engine_for().connect() as connection:
            connection.execute(text("SELECT 1"))
        return jsonify(status="ok")

    return server


def _blueprints() -> list:
    """Every HTTP surface the server offers, each in its own module."""
    from backend.api import auth, mapdata, media, open311, openapi, packs, v1
    from backend.web import portal

    return [auth.bp, v1.bp, media.bp, packs.bp, mapdata.bp, open311.bp, openapi.bp,
            portal.bp]
