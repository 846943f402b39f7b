"""The `ioc` command: one entry point for operators, the demo and the benchmarks.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click


class CleanErrors(click.Group):
    """A click group that turns any unexpected exception into one line and exit code 1."""

    def invoke(self, ctx: click.Context):  # noqa: D102
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Đã dừng.", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the CLI's promise is one line, no traceback
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            click.echo(f"Lỗi: {message}", err=True)
            sys.exit(1)


@click.group(cls=CleanErrors)
def main() -> None:
    """Hệ thống phản ánh hiện trường - IOC Thái Nguyên."""


def _register() -> None:
    from backend.commands import sla  # noqa: PLC0415

    main.add_command(sla.sla)
    main.add_command(sla.bench)


_register()
