"""`ioc db`, `ioc agencies`, `ioc fields` and `ioc audit`: operating the core from a terminal."""

from __future__ import annotations

import click

from backend.storage.db import session_factory


@click.group()
def db() -> None:
    """Cơ sở dữ liệu: tạo và nâng cấp lược đồ."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Chạy các migration của Alembic và nạp dữ liệu danh mục (lặp lại an toàn)."""
    from backend.services.admin.reference_data import prepare_database

    summary = prepare_database()
    click.echo(f"Cơ sở dữ liệu đã sẵn sàng: {summary}")


@click.group()
def agencies() -> None:
    """Cơ quan xử lý."""


@agencies.command("list")
def agencies_list() -> None:
    """Mỗi dòng một cơ quan: mã<TAB>tên."""
    from backend.services.reads.catalogue import list_agencies

    for agency in list_agencies():
        click.echo(f"{agency.code}\t{agency.name}")


@click.group()
def fields() -> None:
    """Danh mục lĩnh vực."""


@fields.command("list")
def fields_list() -> None:
    """Mỗi dòng một lĩnh vực: mã<TAB>tên<TAB>mã cơ quan mặc định."""
    from backend.services.reads.catalogue import list_fields

    for field in list_fields():
        click.echo(f"{field.code}\t{field.name}\t{field.default_agency}")


@click.group()
def audit() -> None:
    """Nhật ký sự kiện."""


@audit.command("verify")
def audit_verify() -> None:
    """Kiểm tra chuỗi băm của nhật ký sự kiện (D3.8)."""
    from backend.services.audit import verify_chains

    with session_factory()() as session:
        result = verify_chains(session)
    for problem in result.problems:
        click.echo(problem, err=True)
    if not result.ok:
        raise click.ClickException(
            f"Nhật ký KHÔNG toàn vẹn: {len(result.problems)} lỗi trong {result.events} sự kiện."
        )
    click.echo(f"Nhật ký toàn vẹn: {result.events} sự kiện, {result.streams} chuỗi.")
