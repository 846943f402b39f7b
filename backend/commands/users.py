"""`ioc users`: staff accounts (no default account exists outside the demo)."""

from __future__ import annotations

import click


@click.group()
def users() -> None:
    """Tài khoản cán bộ."""


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, help="ioc_handler, agency_handler, agency_leader, "
              "provincial_leader, admin hoặc wall_display.")
@click.option("--agency", default=None, help="Mã cơ quan (vai trò của cơ quan xử lý).")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Mật khẩu (ít nhất 10 ký tự).")
@click.option("--full-name", default=None, help="Họ và tên.")
def users_create(username: str, role: str, agency: str | None, password: str,
                 full_name: str | None) -> None:
    """Tạo (hoặc đặt mật khẩu cho) một tài khoản cán bộ."""
    from backend.services.access.auth import create_user

    user = create_user(username, role, password, agency=agency, full_name=full_name)
    click.echo(f"Đã tạo tài khoản {user.username} ({user.role}"
               + (f", {user.agency_code}" if user.agency_code else "") + ").")


@users.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Khóa tài khoản và kết thúc mọi phiên đăng nhập của nó."""
    from backend.services.access.auth import disable_user

    disable_user(username)
    click.echo(f"Đã khóa tài khoản {username}.")
