"""The `ioc` command's subcommands, one module each."""

