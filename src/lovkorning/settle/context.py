"""What every basis reads: the month's frames (`Context`), the columns a basis returns, and the
helpers bases share to place a row in its rate segment and its brukare's zon.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from ..config.loaded import LoadedConfig
from ..config.schema import RuleCfg
from ..core.period import Period
from ..visits.pairing import Visits


@dataclass
class Context:
    period: Period
    cfg: LoadedConfig
    utforare: pl.DataFrame
    orders: pl.DataFrame        # typed bestallningar
    order_lines: pl.DataFrame   # beviljad.beviljad_lines: order line × rate segment
    visits: Visits
    uppehall: pl.DataFrame
    plans: pl.DataFrame
    overtid: pl.DataFrame
    zon: pl.DataFrame           # settle.brukare_zon: utforare_id, brukare_id, z_fran, z_till, zon, bestallning_id
    segs: pl.DataFrame          # seg, seg_fran, seg_till
    carried: pl.DataFrame | None = None   # fees.WEEKS: schablon paid last month in the week going on into this one
    memo: dict = field(default_factory=dict, repr=False, compare=False)   # work several stages share, once
    trace: bool = False         # keep on each line the items it is made of (TRACE): for explain, never for run


Basis = Callable[[RuleCfg, Context], pl.DataFrame]

LINE_COLUMNS = ["utforare_id", "brukare_id", "zon", "insats", "bestallning_id", "fran", "till",
                "ersatt_sek", "antal", "_num", "_den"]

# Lineage (settle.lineage): with ctx.trace, a basis that sums visits or registrations into a line
# keeps their ids on it, as a list: a visit's besok_id, a declined visit's tag row as −_rad. The
# column goes no further than the traced lines; without ctx.trace no basis computes it.
TRACE = "_spar"


def traced(ctx: Context, ids: pl.Expr) -> list[pl.Expr]:
    """The aggregation that keeps a line's item ids (`ids`) when tracing; nothing otherwise."""
    return [ids.alias(TRACE)] if ctx.trace else []


def trace_column(ctx: Context) -> list[str]:
    """[TRACE] when tracing: for a select that names a line's columns."""
    return [TRACE] if ctx.trace else []


def with_segment(df: pl.DataFrame, segs: pl.DataFrame, date_col: str = "datum") -> pl.DataFrame:
    """Attach the rate segment a date falls in."""
    return df.sort(date_col).join_asof(segs.sort("seg_fran"), left_on=date_col, right_on="seg_fran")


ZON_DAY = ("datum", "fran", "godkand")   # the day a row's zon is taken on: a visit's, a line's first, a plan's


def with_zon(df: pl.DataFrame, ctx: Context, day: str | None = None) -> pl.DataFrame:
    """Add `zon`: the brukare's zon at the utförare on the row's `day` (by default the first
    column of ZON_DAY it has). That is the zon of the brukare's order there in force that day;
    with none in force, of the latest order overlapping the month; with none of those, of the
    latest order; with no order at all, default_zon. Among several, the one that started last
    (then the lowest bestallning_id). Where all of a brukare's orders at the utförare have one
    zon (nearly always) that is the answer whatever the day: one join on utförare and brukare;
    only the rows of brukare whose zon changes are looked up per day."""
    day = day or next(c for c in ZON_DAY if c in df.columns)
    pair = ["utforare_id", "brukare_id"]
    per_pair = ctx.zon.group_by(pair).agg(pl.col("zon").first(), (pl.col("zon").n_unique() > 1).alias("_varies"))
    z = df.join(per_pair, on=pair, how="left")
    if per_pair["_varies"].any():
        keys = [*pair, day]
        p = ctx.period
        in_force = (pl.col("z_fran") <= pl.col(day)) & (pl.col("z_till").is_null() | (pl.col(day) <= pl.col("z_till")))
        in_month = (pl.col("z_fran") <= pl.lit(p.end)) & (pl.col("z_till").is_null() | (pl.col("z_till") >= pl.lit(p.start)))
        days = z.filter(pl.col("_varies")).select(keys).unique().join(ctx.zon, on=pair)
        by_day = days.sort(in_force, in_month, "z_fran", "bestallning_id", descending=[True, True, True, False],
                           nulls_last=True).unique(keys, keep="first").select(*keys, pl.col("zon").alias("_zon_dag"))
        z = z.join(by_day, on=keys, how="left", nulls_equal=True).with_columns(
            pl.coalesce("_zon_dag", "zon").alias("zon")).drop("_zon_dag")
    return z.drop("_varies").with_columns(pl.col("zon").fill_null(ctx.cfg.cfg.default_zon))


def matches(rule: RuleCfg, insats: str = "insats") -> pl.Expr:
    return pl.col(insats).is_in(rule.insatser) if rule.insatser else pl.lit(True)
