"""`ioc apikeys ...`: keys for agencies' software that submits through Open311 (D12.2)."""

from __future__ import annotations

import click


@click.group()
def apikeys() -> None:
    """Khóa API cho phần mềm gửi phản ánh qua Open311."""


@apikeys.command("create")
@click.argument("name")
def apikeys_create(name: str) -> None:
    """Tạo khóa mới cho phần mềm NAME; khóa in ở dòng cuối và chỉ hiển thị một lần."""
    from backend.services.access.apikeys import SHOWN_PREFIX, create_api_key
    from backend.services.errors import ValidationError

    try:
        key = create_api_key(name)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Đã tạo khóa API cho '{name.strip()}' (tiền tố {key[:SHOWN_PREFIX]}). "
               "Hãy lưu lại ngay, khóa không được hiển thị lần nữa:")
    click.echo(key)


@apikeys.command("list")
def apikeys_list() -> None:
    """Mỗi dòng một khóa: tiền tố<TAB>tên<TAB>trạng thái<TAB>ngày tạo."""
    from backend.services.access.apikeys import list_api_keys

    for key in list_api_keys():
        state = "đang dùng" if key.active else "đã thu hồi"
        click.echo(f"{key.prefix}\t{key.name}\t{state}\t{key.created_at:%Y-%m-%d}")


@apikeys.command("revoke")
@click.argument("prefix")
def apikeys_revoke(prefix: str) -> None:
    """Thu hồi khóa có tiền tố PREFIX (xem `ioc apikeys list`)."""
    from backend.services.access.apikeys import revoke_api_key
    from backend.services.errors import ValidationError

    try:
        key = revoke_api_key(prefix)
    except ValidationError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Đã thu hồi khóa {key.prefix} ({key.name}).")
