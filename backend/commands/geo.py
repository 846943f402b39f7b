"""`ioc geo import FILE` and `ioc geo status`: the unit boundary layer in use."""

from __future__ import annotations

import getpass
from pathlib import Path

import click


@click.group()
def geo() -> None:
    """Ranh giới xã/phường: lớp đang dùng và nhận lớp chính thức của tỉnh."""


@geo.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", default=None, help="Tên lớp trong GeoPackage/zip có nhiều lớp.")
@click.option("--by", "actor", default=None,
              help="Người nhận lớp, ghi vào nhật ký (mặc định: tài khoản hệ điều hành).")
def geo_import(path: Path, layer: str | None, actor: str | None) -> None:
    """Kiểm tra và nhận lớp ranh giới 92 xã/phường (GeoJSON, Shapefile, GeoPackage; thuộc tính
    code = mã 5 chữ số, name). Lớp có lỗi bị từ chối, không thay đổi gì, kèm báo cáo đủ lỗi."""
    from backend.services.places import layers, lookup  # noqa: PLC0415

    outcome = layers.import_layer(path, actor or f"cli:{getpass.getuser()}", layer=layer)
    click.echo(outcome.report)
    if not outcome.taken:
        raise SystemExit(1)
    lookup.layer_changed()
    click.echo(f"Đã nhận lớp số {outcome.layer_id}; tra cứu vị trí, bản đồ và số liệu theo "
               "xã/phường dùng lớp này ngay (các máy chủ khác trong vòng "
               f"{int(lookup.LAYER_CHECK_SECONDS)} giây).")


@geo.command("status")
def geo_status() -> None:
    """Lớp ranh giới xã/phường đang dùng."""
    from backend import vietnamese as vn  # noqa: PLC0415
    from backend.services.places import layers  # noqa: PLC0415

    info = layers.layer_in_use()
    if info["approximate"]:
        click.echo(f"Đang dùng ranh giới gần đúng dựng từ điểm xã cũ ({info['source']}); "
                   "nhận lớp chính thức bằng 'ioc geo import TỆP'.")
    else:
        click.echo(f"Đang dùng lớp chính thức {info['source']}, nhận lúc "
                   f"{vn.date_time(info['imported_at'])} bởi {info['imported_by']} "
                   f"(sha256 {info['sha256'][:12]}…).")
