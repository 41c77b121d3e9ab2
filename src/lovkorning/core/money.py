"""Money: integer öre everywhere, one rounding rule (half away from zero).

Rates and percentages meet humans as Decimal kronor / percent in the config; they are turned
into integers here, once. Nothing in the money path is ever a float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import polars as pl


def round_half_up(num: int, den: int) -> int:
    """num / den rounded to the nearest integer, halves away from zero. den > 0."""
    if den <= 0:
        raise ValueError("den must be positive")
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


def expr_div_round(num: pl.Expr, den: int | pl.Expr) -> pl.Expr:
    """Column twin of round_half_up: (num / den) rounded half away from zero, as Int64."""
    num = num.cast(pl.Int64)
    den = den.cast(pl.Int64) if isinstance(den, pl.Expr) else pl.lit(den, dtype=pl.Int64)
    mag = (num.abs() * 2 + den) // (den * 2)
    return pl.when(num < 0).then(-mag).otherwise(mag).cast(pl.Int64)


def kronor_to_ore(value: Decimal | int | float | str) -> int:
    """Exact kronor (at most two decimals) to öre. Floats go through their shortest repr."""
    try:
        d = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"inte ett belopp: {value!r}") from exc
    ore = d * 100
    if ore != ore.to_integral_value():
        raise ValueError(f"belopp med fler än två decimaler: {value}")
    return int(ore)


def percent_to_bp(value: Decimal | int | float | str) -> int:
    """Percent (at most two decimals) to basis points: 1,5 % -> 150."""
    return kronor_to_ore(value)


def time_amount(seconds: int, ore_per_hour: int) -> int:
    """The amount of a time line: seconds at an hourly rate, rounded half up to whole öre."""
    return round_half_up(seconds * ore_per_hour, 3600)


def percent_of(base_ore: int, bp: int) -> int:
    """bp basis points of base_ore, rounded half away from zero."""
    return round_half_up(base_ore * bp, 10_000)


def format_kronor(ore: int) -> str:
    """Swedish display: 1234567 -> '12 345,67'."""
    sign = "-" if ore < 0 else ""
    kr, o = divmod(abs(ore), 100)
    return f"{sign}{kr:,}".replace(",", "\u00a0") + f",{o:02d}"


def format_hours(seconds: int) -> str:
    """Decimal hours with two decimals, Swedish comma: 44748 s -> '12,43'."""
    hundredths = round_half_up(seconds * 100, 3600)
    h, c = divmod(abs(hundredths), 100)
    return f"{'-' if hundredths < 0 else ''}{h},{c:02d}"


def hours_value(seconds: int) -> float:
    """Decimal hours rounded to two decimals, for display cells (never money)."""
    return round_half_up(seconds * 100, 3600) / 100
