"""Beviljad tid of each order line for the month (contract §2, last paragraphs).

beviljad seconds = minuter × 60 × active days ÷ (1, 7 or the month's days for dag/vecka/manad),
rounded half up to whole seconds. An active day lies inside giltig_fran…giltig_till, on or after
verkstalld_fran, and — for beviljad tid LOV — outside every uppehåll of the brukare. The month is
cut into segments where a rate changes, so each line has one rate: a line is one order line × one
segment. Beviljad tid (before uppehåll) and LOV are each rounded once per order and month, and
uppehåll is their difference; LOV and uppehåll are then shared out over the order's segments
(each its floor, the seconds left over to the largest remainders, the earlier segment on a tie)
and a segment's beviljad is their sum, so the parts always add up to the month's figures and the
three columns always add up (contract §2: beviljad seconds of an order rounded). A rule regroups the lines at
the changes of its own rate only (`merge_segments`), so a change in another rule's rate never
splits its lines.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from ..core import avvikelser as av
from ..core.money import expr_div_round
from ..core.period import Period


def segments(period: Period, cut_dates: set[date]) -> pl.DataFrame:
    """The month split at every date a rate changes: seg, seg_fran, seg_till."""
    cuts = sorted({period.start} | {d for d in cut_dates if period.start < d <= period.end})
    ends = [c - timedelta(days=1) for c in cuts[1:]] + [period.end]
    return pl.DataFrame({"seg": list(range(len(cuts))), "seg_fran": cuts, "seg_till": ends},
                        schema={"seg": pl.Int64, "seg_fran": pl.Date, "seg_till": pl.Date})


def uppehall_days(uppehall: pl.DataFrame, period: Period) -> pl.DataFrame:
    """One row per brukare, scope (utförare or null = all) and day of uppehåll in the month, in
    order of start (on the same start, in file order); the row that began first gives the day's
    orsak and dag_nr (day 1 = the row's `fran`)."""
    u = uppehall.with_columns(
        pl.max_horizontal("fran", pl.lit(period.start)).alias("a"),
        pl.min_horizontal(pl.col("till").fill_null(period.end), pl.lit(period.end)).alias("b"),
    ).filter(pl.col("a") <= pl.col("b"))
    days = u.sort("fran", maintain_order=True).select(
        "brukare_id", "utforare_id", "orsak", "fran", pl.date_ranges("a", "b").alias("dag")).explode("dag")
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


def share_out(df: pl.DataFrame, num: str, den: str, out: str, whole: pl.Expr | None = None) -> pl.DataFrame:
    """`out`: the order's `whole` (default Σ num ÷ den rounded half up once) shared over its rows
    (segments): each row its floor of num ÷ den, and the seconds left over one each to the rows
    with the largest remainders (the earlier segment on a tie). The rows add up to the whole;
    `whole` must lie between Σ floors and Σ floors + the rows with a remainder."""
    if whole is None:
        whole = expr_div_round(pl.col(num).sum().over("bestallning_id"), pl.col(den))
    floor = pl.col(num) // pl.col(den)
    df = df.with_columns(floor.alias("_floor"), (pl.col(num) % pl.col(den)).alias("_rest"),
                         (whole - floor.sum().over("bestallning_id")).alias("_left"))
    df = df.sort("bestallning_id", "_rest", "seg", descending=[False, True, False])
    extra = (pl.int_range(pl.len()).over("bestallning_id") < pl.col("_left")).cast(pl.Int64)
    return df.with_columns((pl.col("_floor") + extra).alias(out)).drop("_floor", "_rest", "_left")


def _round_lines(os: pl.DataFrame) -> pl.DataFrame:
    """Beviljad and LOV of each order rounded once for the month; per segment LOV and uppehåll are
    shared out (uppehåll's whole is the difference of the two rounded wholes, which lies between
    the floor and the ceiling of the exact difference), and beviljad is their sum, so every part
    is >= 0 and beviljad >= LOV in every segment."""
    def month(c: str) -> pl.Expr:
        return expr_div_round(pl.col(c).sum().over("bestallning_id"), pl.col("_den"))
    os = os.with_columns((pl.col("_brutto_num") - pl.col("_lov_num")).alias("_upp_num"))
    os = share_out(os, "_lov_num", "_den", "beviljad_lov_sek")
    os = share_out(os, "_upp_num", "_den", "uppehall_sek", month("_brutto_num") - month("_lov_num"))
    return os.with_columns((pl.col("beviljad_lov_sek") + pl.col("uppehall_sek")).alias("beviljad_sek")).drop(
        "_upp_num").sort("bestallning_id", "seg")


def beviljad_lines(orders: pl.DataFrame, uppehall: pl.DataFrame, period: Period, cut_dates: set[date]) -> pl.DataFrame:
    """Per order line × segment: dagar, uppehall_dagar, beviljad_sek, beviljad_lov_sek, uppehall_sek
    (and _brutto_num, _lov_num, _den: the unrounded seconds as a fraction, for `merge_segments`)."""
    os = order_segments(orders, segments(period, cut_dates), period)
    os = count_pause_days(os, uppehall_days(uppehall, period)).filter(pl.col("dagar") > 0)
    os = os.with_columns((pl.col("minuter_milli") * 60 * pl.col("dagar")).alias("_brutto_num"),
                         (pl.col("minuter_milli") * 60 * (pl.col("dagar") - pl.col("uppehall_dagar"))).alias("_lov_num"),
                         (divisor(period) * 1000).alias("_den"))
    return _round_lines(os)


def merge_segments(lines: pl.DataFrame, segs: pl.DataFrame) -> pl.DataFrame:
    """`lines` (beviljad_lines) regrouped into the coarser segments `segs` (each begins where one
    of the lines' segments begins): one line per order × segment of `segs`, shared out again."""
    if lines["seg_fran"].unique().sort().to_list() == segs["seg_fran"].to_list() or lines.is_empty():
        return lines
    m = lines.drop("seg").sort("seg_fran").join_asof(
        segs.rename({"seg_fran": "_sf", "seg_till": "_st"}).sort("_sf"), left_on="seg_fran", right_on="_sf")
    summed = ["dagar", "uppehall_dagar", "_brutto_num", "_lov_num"]
    g = m.group_by("bestallning_id", "seg").agg(
        pl.col("a").min(), pl.col("b").max(),
        pl.col("_sf").first().alias("seg_fran"), pl.col("_st").first().alias("seg_till"),
        pl.col(summed).sum(),
        pl.all().exclude("bestallning_id", "seg", "a", "b", "seg_fran", "seg_till", "_sf", "_st", *summed,
                         "beviljad_sek", "beviljad_lov_sek", "uppehall_sek").first())
    return _round_lines(g).select(lines.columns)


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
