"""Money: the one rounding rule, as properties."""

from decimal import ROUND_HALF_UP, Decimal

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from lovkorning.core.money import (
    expr_div_round, format_hours, format_kronor, kronor_to_ore, percent_of, round_half_up, time_amount)

ints = st.integers(-10**12, 10**12)
dens = st.integers(1, 10**6)


def reference(num: int, den: int) -> int:
    """Half away from zero via Decimal, written independently of the implementation."""
    q = (Decimal(abs(num)) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(q) if num >= 0 else -int(q)


@given(ints, dens)
def test_round_half_up_matches_decimal(num, den):
    assert round_half_up(num, den) == reference(num, den)


@given(st.lists(st.tuples(ints, dens), min_size=1, max_size=50))
def test_column_rounding_matches_scalar(pairs):
    df = pl.DataFrame({"n": [p[0] for p in pairs], "d": [p[1] for p in pairs]})
    got = df.select(expr_div_round(pl.col("n"), pl.col("d"))).to_series().to_list()
    assert got == [round_half_up(n, d) for n, d in pairs]


def test_halves_go_away_from_zero():
    assert round_half_up(1, 2) == 1 and round_half_up(-1, 2) == -1
    assert round_half_up(5, 10) == 1 and round_half_up(15, 10) == 2 and round_half_up(25, 10) == 3


def test_seed001_ramtid_amount():
    # 12,43 h = 44 748 s at 452,00 kr/h = 5 618,36 kr exactly
    assert time_amount(44_748, 45_200) == 561_836
    assert format_hours(44_748) == "12,43" and format_hours(29_268) == "8,13" and format_hours(540) == "0,15"


@given(st.decimals(min_value=0, max_value=100000, places=2))
def test_kronor_to_ore_is_exact(kr):
    assert kronor_to_ore(kr) == int(kr * 100)


def test_kronor_from_yaml_floats_and_rejects_more_decimals():
    assert kronor_to_ore(452.0) == 45_200 and kronor_to_ore(0.1) == 10
    try:
        kronor_to_ore("1.005")
    except ValueError:
        pass
    else:
        raise AssertionError("three decimals must be refused")


@given(st.integers(0, 10**10), st.integers(0, 10_000))
def test_percent_of_bounds(base, bp):
    p = percent_of(base, bp)
    assert abs(p * 10_000 - base * bp) <= 5_000


def test_format_kronor():
    assert format_kronor(123456789) == "1\u00a0234\u00a0567,89" and format_kronor(-5) == "-0,05"
