"""The `ioc` command's subcommands, one module each."""


def count(number: int) -> str:
    """30000 -> "30.000": numbers in messages written the Vietnamese way."""
    return f"{number:,}".replace(",", ".")


def seconds(value: float) -> str:
    """4.63 -> "4,6": a decimal comma, as Vietnamese writes it."""
    return f"{value:.1f}".replace(".", ",")
