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
        except BrokenPipeError:
            sys.stderr.close()  # the reader (e.g. `head`) has gone; nothing left to say
            sys.exit(0)
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
    from backend.commands import core, demo, run, sla

    for command in (core.db, core.agencies, core.fields, core.audit, demo.demo, run.run,
                    sla.sla, sla.bench):
        main.add_command(command)


_register()


if __name__ == "__main__":
    main()
