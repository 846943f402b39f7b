"""`ioc geo import FILE` (issue 12): the province's official unit layer replaces the approximate
polygons after validation; a refused layer changes nothing and one report names every problem;
a taken one is used at once by the lookup, the maps and the aggregates, and is logged."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner
from sqlalchemy import func, select

from backend.cli import main
from backend.config import geo_dir
from backend.services.intake.submit import NewReport, submit_report
from backend.services.places import lookup, maps
from backend.storage.db import session_factory
from backend.storage.models import Event, Report, UnitLayer

A, B = "05443", "05455"  # Phường Phan Đình Phùng, Phường Quyết Thắng (neighbours)
APPROX = "thai_nguyen_units_2025_approx.geojson"


@pytest.fixture(autouse=True)
def _fresh_layer_check():
    lookup.layer_changed()
    yield
    lookup.layer_changed()


def _layer(tmp_path: Path, frame: gpd.GeoDataFrame, name: str = "units.geojson") -> Path:
    path = tmp_path / name
    frame.to_file(path, driver="GeoJSON")
    return path


def _approximate() -> gpd.GeoDataFrame:
    return gpd.read_file(geo_dir() / APPROX)[["code", "name", "geometry"]]


def _seat(code: str) -> tuple[float, float]:
    frame = gpd.read_file(geo_dir() / APPROX)
    row = frame[frame["code"] == code].iloc[0]
    return float(row["label_lon"]), float(row["label_lat"])


def _run(*args: str):
    return CliRunner().invoke(main, list(args))


def _count(url: str, model) -> int:
    with session_factory(url)() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_broken_layer_is_refused_with_every_problem_and_changes_nothing(ready_db, tmp_path):
    frame = _approximate()
    frame = frame[frame["code"] != "02185"].copy()  # one unit missing
    frame.loc[frame["code"] == A, "code"] = "99999"  # an unknown code (and A missing)
    bowtie = shapely.Polygon([(105.80, 21.60), (105.82, 21.62), (105.82, 21.60),
                              (105.80, 21.62)])
    frame.loc[frame["code"] == B, "geometry"] = bowtie  # invalid, and leaves B's place a gap
    path = _layer(tmp_path, frame)
    code = lookup.gazetteer().locate(*_seat(A)).unit_code
    result = _run("geo", "import", str(path))
    assert result.exit_code == 1
    out = result.output
    assert "bị từ chối" in out and "Chưa thay đổi gì" in out
    for needle in ("99999", "02185", A, B, "Khe hở"):
        assert needle in out, needle
    assert _count(ready_db, UnitLayer) == 0
    assert _count(ready_db, Event) == 0  # nothing logged: nothing happened
    assert lookup.gazetteer().locate(*_seat(A)).unit_code == code == A


def test_an_unreadable_file_is_one_clear_line(ready_db, tmp_path):
    path = tmp_path / "units.geojson"
    path.write_text("{ không phải GeoJSON", encoding="utf-8")
    result = _run("geo", "import", str(path))
    assert result.exit_code == 1 and "units.geojson" in result.output
    assert _count(ready_db, UnitLayer) == 0


def test_a_valid_layer_is_taken_used_at_once_and_logged(ready_db, tmp_path):
    # a report placed with the approximate layer, before the import
    seat_a = _seat(A)
    before = submit_report(NewReport(description="Ổ gà trước cổng chợ, nguy hiểm cho xe máy.",
                                     lon=seat_a[0], lat=seat_a[1], channel="portal"))
    assert before.unit_code == A
    # the "official" layer: the approximate one with A and B exchanged, as a zipped shapefile
    frame = _approximate()
    frame["code"] = frame["code"].replace({A: B, B: A})
    shp = tmp_path / "shp"
    shp.mkdir()
    frame.to_file(shp / "xa_phuong.shp", encoding="utf-8")
    archive = tmp_path / "ranh_gioi_xa_2026.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for part in shp.iterdir():
            bundle.write(part, part.name)
    result = _run("geo", "import", str(archive), "--by", "admin_test")
    assert result.exit_code == 0, result.output
    assert "Đã nhận lớp" in result.output and "1 phản ánh" in result.output

    # the lookup uses it at once
    assert lookup.gazetteer().locate(*seat_a).unit_code == B
    # the aggregates: the stored report moved with its point
    with session_factory(ready_db)() as session:
        assert session.scalar(select(Report.unit_code).where(Report.id == before.id)) == B
        event = session.scalar(select(Event).where(Event.action == "geo.import"))
    assert event.actor == "admin_test"
    assert json.loads(event.data)["reports_moved"] == 1
    # the maps: unit features from the new layer, no longer marked approximate
    collection = json.loads(maps.boundary_collection())
    units = {f["properties"]["code"]: f for f in collection["features"]
             if f["properties"]["kind"] == "unit"}
    assert len(units) == 92 and not units[A]["properties"]["approximate"]
    assert shapely.geometry.shape(units[B]["geometry"]).covers(shapely.Point(*seat_a))
    # and the status says so
    status = _run("geo", "status")
    assert "ranh_gioi_xa_2026.zip" in status.output and "admin_test" in status.output


def test_status_names_the_approximate_layer_when_none_was_taken(ready_db):
    result = _run("geo", "status")
    assert result.exit_code == 0 and "gần đúng" in result.output


def test_regrouping_units_in_the_data_file_applies_to_every_report(ready_db, tmp_path,
                                                                   monkeypatch):
    """Issue 12: areas are a data file an administrator can change. Moving a unit to another
    area in data/unit_areas.csv and running `ioc db upgrade` moves its reports' figures at once
    (the area is the unit's, never stored on the report)."""
    import shutil

    from backend.config import data_dir
    from backend.services import kpis
    from backend.services.places.catalogue import forget_places, place_index

    seat = _seat(A)
    report = submit_report(NewReport(description="Rác thải đổ trộm bên lề đường, bốc mùi.",
                                     lon=seat[0], lat=seat[1], channel="portal"))
    month = kpis.Period.month(report.submitted_at.year, report.submitted_at.month)

    def received(area: str) -> int:
        return kpis.snapshot(month, kpis.Filters(area=area), url=ready_db).totals()["received"]

    assert (received("tp_thai_nguyen"), received("tp_song_cong")) == (1, 0)
    folder = tmp_path / "data"
    shutil.copytree(data_dir(), folder)
    path = folder / "unit_areas.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f"{A},Phường Phan Đình Phùng,tp_thai_nguyen",
                                 f"{A},Phường Phan Đình Phùng,tp_song_cong"), encoding="utf-8")
    monkeypatch.setenv("IOC_DATA_DIR", str(folder))
    assert _run("db", "upgrade").exit_code == 0
    forget_places()
    assert place_index(ready_db).area_of(A) == "tp_song_cong"
    assert (received("tp_thai_nguyen"), received("tp_song_cong")) == (0, 1)
