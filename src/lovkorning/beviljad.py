"""Beviljad tid of each order line for the month (contract §2, last paragraphs).

beviljad seconds = minuter × 60 × active days ÷ (1, 7 or the month's days for dag/vecka/manad),
rounded half up to whole seconds. An active day lies inside giltig_fran…giltig_till, on or after
verkstalld_fran, and — for beviljad tid LOV — outside every uppehåll of the brukare. The month is
cut into segments where every rate is constant, so each line has one rate: a line is one order
line × one segment. Beviljad tid (before uppehåll) and LOV are each rounded, and uppehåll is
their difference, so the three columns always add up.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from . import avvikelser as av
from .money import expr_div_round
from .period import Period


def segments(period: Period, cut_dates: set[date]) -> pl.DataFrame:
    """The month split at every date a rate changes: seg, seg_fran, seg_till."""
    cuts = sorted({period.start} | {d for d in cut_dates if period.start < d <= period.end})
    ends = [c - timedelta(days=1) for c in cuts[1:]] + [period.end]
    return pl.DataFrame({"seg": list(range(len(cuts))), "seg_fran": cuts, "seg_till": ends},
                        schema={"seg": pl.Int64, "seg_fran": pl.Date, "seg_till": pl.Date})


def uppehall_days(uppehall: pl.DataFrame, period: Period) -> pl.DataFrame:
    """One row per brukare, scope (utförare or null = all) and day of uppehåll in the month."""
    u = uppehall.with_columns(
        pl.max_horizontal("fran", pl.lit(period.start)).alias("a"),
        pl.min_horizontal(pl.col("till").fill_null(period.end), pl.lit(period.end)).alias("b"),
    ).filter(pl.col("a") <= pl.col("b"))
    days = u.sort("fran").select("brukare_id", "utforare_id", "orsak", "fran", pl.date_ranges("a", "b").alias("dag")).explode("dag")
    days = days.with_columns(((pl.col("dag") - pl.col("fran")).dt.total_days() + 1).cast(pl.Int64).alias("dag_nr"))
    return days.drop("fran").unique(["brukare_id", "utforare_id", "dag"], keep="first", maintain_order=True)


def order_segments(orders: pl.DataFrame, segs: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Orders × segments with the active (verkställd, valid) range inside each segment."""
    start = pl.max_horizontal("giltig_fran", "verkstalld_fran", "seg_fran")
    end = pl.min_horizontal(pl.col("giltig_till").fill_null(period.end), "seg_till")
    o = orders.filter(pl.col("verkstalld_fran").is_not_null()).join(segs, how="cross")
    o = o.with_columns(start.alias("a"), end.alias("b"))
    days = ((pl.col("b") - pl.col("a")).dt.total_days() + 1).clip(lower_bound=0)
    return o.with_columns(days.cast(pl.Int64).alias("dagar"))


def count_pause_days(os: pl.DataFrame, pause: pl.DataFrame) -> pl.DataFrame:
    """Days of uppehåll inside each order segment's active range."""
    keyed = os.select("bestallning_id", "seg", "brukare_id", pl.col("utforare_id").alias("o_utf"), "a", "b")
    hits = keyed.join(pause, on="brukare_id").filter(
        pl.col("dag").is_between("a", "b") & (pl.col("utforare_id").is_null() | (pl.col("utforare_id") == pl.col("o_utf"))))
    n = hits.group_by("bestallning_id", "seg").agg(pl.col("dag").n_unique().cast(pl.Int64).alias("uppehall_dagar"))
    return os.join(n, on=["bestallning_id", "seg"], how="left").with_columns(pl.col("uppehall_dagar").fill_null(0))


def divisor(period: Period) -> pl.Expr:
    return pl.col("per").replace_strict({"dag": 1, "vecka": 7, "manad": period.days}, return_dtype=pl.Int64)


def beviljad_lines(orders: pl.DataFrame, uppehall: pl.DataFrame, period: Period, cut_dates: set[date]) -> pl.DataFrame:
    """Per order line × segment: dagar, uppehall_dagar, beviljad_sek, beviljad_lov_sek, uppehall_sek."""
    os = order_segments(orders, segments(period, cut_dates), period)
    os = count_pause_days(os, uppehall_days(uppehall, period))
    den = divisor(period) * 1000
    brutto = expr_div_round(pl.col("minuter_milli") * 60 * pl.col("dagar"), den)
    lov = expr_div_round(pl.col("minuter_milli") * 60 * (pl.col("dagar") - pl.col("uppehall_dagar")), den)
    os = os.with_columns(brutto.alias("beviljad_sek"), lov.alias("beviljad_lov_sek"))
    return os.with_columns((pl.col("beviljad_sek") - pl.col("beviljad_lov_sek")).alias("uppehall_sek")).filter(
        pl.col("dagar") > 0).sort("bestallning_id", "seg")


def order_findings(orders: pl.DataFrame, period: Period) -> pl.DataFrame:
    """Orders that pay nothing this month, and why."""
    outside = (pl.col("giltig_fran") > period.end) | (pl.col("giltig_till").fill_null(period.end) < period.start)
    never = pl.col("verkstalld_fran").is_null() & ~outside
    late = pl.col("verkstalld_fran").is_not_null() & (pl.col("verkstalld_fran") > pl.min_horizontal(
        pl.col("giltig_till").fill_null(period.end), pl.lit(period.end))) & ~outside
    return av.concat([
        av.from_rows("utanfor-perioden", orders.filter(outside),
                     "Beställningen gäller inte någon dag i månaden.", "giltig_fran"),
        av.from_rows("ej-verkstalld", orders.filter(never),
                     "Beställningen saknar verkställighetsdatum och ersätts inte.", "verkstalld_fran"),
        av.from_rows("ej-verkstalld", orders.filter(late), pl.format(
            "Beställningen verkställs först {} och ersätts inte denna månad.", pl.col("verkstalld_fran")), "verkstalld_fran"),
    ])
