"""The portal's one Blueprint, `/portal`: every route module of the package registers on it."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"  # backend/web/templates/portal/

log = logging.getLogger("ioc.portal")
bp = Blueprint("portal", __name__, url_prefix="/portal", template_folder=str(TEMPLATES))
