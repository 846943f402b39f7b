"""The `ioc` command: one entry point for operators, the demo and the benchmarks.

Errors are one clear line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys

import click


class CleanErrors(click.Group):
    """A click group whose every failure is one line on stderr and a non-zero exit."""

    def main(self, args=None, prog_name=None, complete_var=None, **extra):  # noqa: D102
        extra.pop("standalone_mode", None)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:  # usage errors included
            click.echo(f"Lỗi: {_one_line(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):
            click.echo("Đã dừng.", err=True)
            sys.exit(130)
        except BrokenPipeError:
            sys.stderr.close()  # the reader (e.g. `head`) has gone; nothing left to say
            sys.exit(0)
        except Exception as exc:  # noqa: BLE001 - the CLI's promise is one line, no traceback
            click.echo(f"Lỗi: {_one_line(str(exc)) or type(exc).__name__}", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def _one_line(message: str) -> str:
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    return lines[0] if lines else ""


@click.group(cls=CleanErrors)
def main() -> None:
    """Hệ thống phản ánh hiện trường - IOC Thái Nguyên."""


def _register() -> None:
    from backend.commands import apikeys, core, demo, export, geo, outbox, run, sla, users

    for command in (core.db, core.agencies, core.fields, core.audit, demo.demo, run.run,
                    sla.sla, sla.bench, users.users, apikeys.apikeys, outbox.outbox,
                    export.export, geo.geo):
        main.add_command(command)


_register()


if __name__ == "__main__":
    main()
