"""The province of 1/7/2025 (issue 12): a report's place is its commune-level unit, grouped into
areas; the former district and commune stay only on reports dated before 1/7/2025.

* reports: `unit_2025_code` -> `unit_code`; `district_code`, `commune_code` ->
  `former_district_code`, `former_commune_code`. Every report with a former commune gets the
  unit that succeeded it (the successor mapping of data/geo; a split commune's point chooses
  among its successors), the others are placed by their point; reports dated from 1/7/2025
  (Asia/Ho_Chi_Minh) lose the former units, which the lookup had derived from the point.
* reports: `delegate_code`, the subordinate unit a department gave the report to (D14.3).
* agencies: `district_code` -> `unit_code` (a UBND xã/phường's unit), `parent_code` (D14.3); the
  former district People's Committees become kind `ubnd_huyen`, inactive (kept for history).
* routing_rules: by area or unit instead of district (district rules of retired agencies go;
  `ioc db upgrade` then loads data/routing.csv).
* admin_units: levels `unit`, `former_district`, `former_commune`, and a unit's `area_code`.
* new tables `areas` and `unit_layers` (`ioc geo import`).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 09:00:00
"""

from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

CUTOVER = datetime(2025, 6, 30, 17, 0, tzinfo=UTC)  # 1/7/2025 00:00 in Asia/Ho_Chi_Minh
_BATCH = 20_000


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_areas")),
    )
    op.create_table(
        "unit_layers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("geojson", sa.Text(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_layers")),
    )
    with op.batch_alter_table("admin_units") as batch:
        batch.add_column(sa.Column("area_code", sa.String(length=32), nullable=True))
    for old, new in (("district", "former_district"), ("commune", "former_commune"),
                     ("unit_2025", "unit")):
        op.execute(sa.text("UPDATE admin_units SET level = :new WHERE level = :old")
                   .bindparams(old=old, new=new))

    with op.batch_alter_table("reports") as batch:
        batch.drop_index("ix_reports_district")
        batch.alter_column("unit_2025_code", new_column_name="unit_code")
        batch.alter_column("district_code", new_column_name="former_district_code")
        batch.alter_column("commune_code", new_column_name="former_commune_code")
        batch.add_column(sa.Column("delegate_code", sa.String(length=32), nullable=True))
    op.create_index("ix_reports_unit", "reports", ["unit_code"], unique=False)
    _place_reports()

    with op.batch_alter_table("agencies") as batch:
        batch.alter_column("district_code", new_column_name="unit_code")
        batch.add_column(sa.Column("parent_code", sa.String(length=32), nullable=True))
    op.execute("UPDATE agencies SET kind = 'ubnd_huyen', active = false, unit_code = NULL "
               "WHERE kind = 'ubnd'")

    areas = _former_district_areas()
    with op.batch_alter_table("routing_rules") as batch:
        batch.add_column(sa.Column("area_code", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("unit_code", sa.String(length=8), nullable=True))
    op.execute("DELETE FROM routing_rules WHERE agency_code IN "
               "(SELECT code FROM agencies WHERE kind = 'ubnd_huyen')")
    for district, area in areas.items():
        op.execute(sa.text("UPDATE routing_rules SET area_code = :area WHERE district_code = :d")
                   .bindparams(area=area, d=district))
    op.execute("DELETE FROM routing_rules WHERE district_code IS NOT NULL AND area_code IS NULL")
    with op.batch_alter_table("routing_rules") as batch:
        batch.drop_constraint("uq_routing_rules_field_district_agency", type_="unique")
        batch.drop_column("district_code")
        batch.create_unique_constraint("uq_routing_rules_field_place_agency",
                                       ["field_code", "area_code", "unit_code", "agency_code"])


def downgrade() -> None:
    with op.batch_alter_table("routing_rules") as batch:
        batch.drop_constraint("uq_routing_rules_field_place_agency", type_="unique")
        batch.add_column(sa.Column("district_code", sa.String(length=8), nullable=True))
        batch.drop_column("unit_code")
        batch.drop_column("area_code")
        batch.create_unique_constraint("uq_routing_rules_field_district_agency",
                                       ["field_code", "district_code", "agency_code"])
    with op.batch_alter_table("agencies") as batch:
        batch.drop_column("parent_code")
        batch.alter_column("unit_code", new_column_name="district_code")
    op.execute("UPDATE agencies SET kind = 'ubnd' WHERE kind = 'ubnd_huyen'")
    op.drop_index("ix_reports_unit", table_name="reports")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("delegate_code")
        batch.alter_column("unit_code", new_column_name="unit_2025_code")
        batch.alter_column("former_district_code", new_column_name="district_code")
        batch.alter_column("former_commune_code", new_column_name="commune_code")
    op.create_index("ix_reports_district", "reports", ["district_code"], unique=False)
    for old, new in (("district", "former_district"), ("commune", "former_commune"),
                     ("unit_2025", "unit")):
        op.execute(sa.text("UPDATE admin_units SET level = :old WHERE level = :new")
                   .bindparams(old=old, new=new))
    with op.batch_alter_table("admin_units") as batch:
        batch.drop_column("area_code")
    op.drop_table("unit_layers")
    op.drop_table("areas")


def _former_district_areas() -> dict[str, str]:
    """Former district code -> its default area (data/areas.csv)."""
    import csv

    from backend.config import data_dir

    with (data_dir() / "areas.csv").open(encoding="utf-8", newline="") as handle:
        return {row["former_district_code"]: row["code"] for row in csv.DictReader(handle)
                if row.get("former_district_code")}


def _place_reports() -> None:
    """Units through the successor mapping, the point where that cannot say; former units
    cleared from 1/7/2025. Only reads and writes the rows that need it, in batches."""
    from backend.config import geo_dir
    from backend.storage.models import UTCDateTime
    from geo import Gazetteer

    bind = op.get_bind()
    reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("lon", sa.Float),
                       sa.column("lat", sa.Float), sa.column("unit_code", sa.String),
                       sa.column("former_commune_code", sa.String),
                       sa.column("former_district_code", sa.String),
                       sa.column("submitted_at", UTCDateTime))
    if bind.execute(sa.select(sa.func.count()).select_from(reports)).scalar_one() == 0:
        return
    gaz = Gazetteer.load(geo_dir())
    communes = gaz.former_communes
    single = communes[~communes["successors"].str.contains("|", regex=False)]
    mapping = sa.table("tmp_successors", sa.column("commune", sa.String),
                       sa.column("unit", sa.String))
    op.create_table("tmp_successors", sa.Column("commune", sa.String(8), primary_key=True),
                    sa.Column("unit", sa.String(8), nullable=False))
    op.bulk_insert(mapping, [{"commune": c, "unit": u}
                             for c, u in zip(single["code"], single["successor"], strict=True)])
    lookup = (sa.select(mapping.c.unit).where(mapping.c.commune == reports.c.former_commune_code)
              .scalar_subquery())
    bind.execute(reports.update()
                 .where(reports.c.former_commune_code.in_(sa.select(mapping.c.commune)))
                 .values(unit_code=lookup))
    op.drop_table("tmp_successors")

    split = dict(zip(communes["code"], communes["successors"], strict=True))
    default = dict(zip(communes["code"], communes["successor"], strict=True))
    rest = (sa.select(reports.c.id, reports.c.lon, reports.c.lat, reports.c.former_commune_code)
            .where(sa.or_(reports.c.former_commune_code.is_(None),
                          reports.c.former_commune_code.not_in(list(single["code"])))))
    rows = bind.execute(rest).all()
    for start in range(0, len(rows), _BATCH):
        part = rows[start:start + _BATCH]
        hits = gaz.locate_many(np.array([r.lon for r in part], dtype=float),
                               np.array([r.lat for r in part], dtype=float))
        updates = []
        for row, unit in zip(part, hits["unit_code"], strict=True):
            commune = row.former_commune_code
            if commune in split:  # a split commune: its successor that holds the point
                unit = unit if unit in split[commune].split("|") else default[commune]
            if unit is not None:
                updates.append({"rid": row.id, "unit": unit})
        if updates:
            bind.execute(reports.update().where(reports.c.id == sa.bindparam("rid"))
                         .values(unit_code=sa.bindparam("unit")), updates)
    bind.execute(reports.update().where(reports.c.submitted_at >= CUTOVER)
                 .values(former_district_code=None, former_commune_code=None))
