"""Paying visit seconds up to an order's cap (settle.bases.allocate) on a frame as large as a
Stockholm month's, where it sorts by one packed integer (visits.sortkeys.packed_order) and sums
along the whole column: the same `paid` as the plain sort and a running sum per order."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from lovkorning.settle.bases import PACKED_SORT_ROWS, allocate
from lovkorning.visits.sortkeys import packed_order


def visits(n: int, seed: int = 1) -> pl.DataFrame:
    """n visit rows over some 2 000 orders: order id (text, not in row order), day, visit id,
    seconds, and the order's cap."""
    return pl.select(pl.int_range(n).alias("i")).select(
        pl.format("B{}", (pl.col("i").hash(seed) % 2003).cast(pl.String).str.zfill(5)).alias("bestallning_id"),
        (pl.lit(date(2023, 9, 1)) + pl.duration(days=pl.col("i").hash(seed + 1) % 30)).alias("datum"),
        (pl.col("i").hash(seed + 2) % 10_000_000 * 8 + pl.col("i") % 8).cast(pl.Int64).alias("besok_id"),
        (pl.col("i").hash(seed + 3) % 3600).cast(pl.Int64).alias("sek"),
        ((pl.col("i").hash(seed + 4) % 2003) * 60).cast(pl.Int64).alias("cap"),
    ).with_columns(pl.col("cap").first().over("bestallning_id"))


def by_window(df: pl.DataFrame) -> pl.DataFrame:
    """The rule itself: in order of day and visit, each order pays seconds until its cap is used."""
    df = df.sort("bestallning_id", "datum", "besok_id")
    cum = pl.min_horizontal(pl.col("sek").cum_sum().over("bestallning_id"), pl.col("cap"))
    return df.with_columns((cum - cum.shift(1, fill_value=0).over("bestallning_id")).clip(lower_bound=0).alias("paid"))


def test_a_large_frame_is_paid_as_the_rule_says():
    df = visits(PACKED_SORT_ROWS * 2)
    paid = allocate(df, ["bestallning_id"], ["datum", "besok_id"], "sek", "cap")
    assert paid.equals(by_window(df))
    per_order = paid.group_by("bestallning_id").agg(pl.col("paid").sum(), pl.col("sek").sum(), pl.col("cap").first())
    assert per_order.filter(pl.col("paid") != pl.min_horizontal("sek", "cap")).is_empty()


def test_packed_order_is_the_order_of_the_columns():
    df = visits(5_000, seed=7)
    order = packed_order(df, ["bestallning_id", "datum", "besok_id"])
    assert df[order].equals(df.sort("bestallning_id", "datum", "besok_id"))


@pytest.mark.parametrize("change", ["null", "float", "too wide"])
def test_packed_order_leaves_what_it_cannot_pack_to_a_sort(change):
    df = visits(1_000)
    if change == "null":
        df = df.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(None).otherwise(pl.col("datum")).alias("datum"))
    elif change == "float":
        df = df.with_columns(pl.col("sek").cast(pl.Float64))
    else:
        df = df.with_columns(pl.col("besok_id") * (1 << 40), (pl.col("sek") * (1 << 20)).alias("sek"))
        assert packed_order(df, ["besok_id", "sek"]) is None
        return
    assert packed_order(df, ["datum", "sek"]) is None


def test_days_and_ids_count_from_their_smallest():
    df = pl.DataFrame({"d": [date(2023, 9, 1) + timedelta(days=k) for k in (3, 1, 2, 1)], "n": [-5, 7, -5, -6]})
    assert packed_order(df, ["d", "n"]).to_list() == [3, 1, 2, 0]
