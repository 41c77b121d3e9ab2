"""The model engine: every rule of the config, applied by its basis, gives money lines.

A basis is a small pure function `(rule, ctx) -> lines` registered by name in `BASES`
(bases.py). Lines carry `_num`/`_den` so one step prices them all:
belopp = round_half_up(_num × sats_ore, _den) — seconds/3600 for time, count/1 for fees,
active days/month days for monthly fees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import polars as pl

from .config.loaded import LoadedConfig
from .config.schema import RuleCfg
from .core.errors import ConfigError, Fel, Plats
from .core.money import expr_div_round
from .core.period import Period
from .config.rates import Rate
from .result import RADER_SCHEMA
from .visits.pairing import Visits


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


Basis = Callable[[RuleCfg, Context], pl.DataFrame]
BASES: dict[str, Basis] = {}

LINE_COLUMNS = ["utforare_id", "brukare_id", "zon", "insats", "bestallning_id", "fran", "till",
                "ersatt_sek", "antal", "_num", "_den"]


def basis(name: str) -> Callable[[Basis], Basis]:
    def register(fn: Basis) -> Basis:
        BASES[name] = fn
        return fn
    return register


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


def price(lines: pl.DataFrame, rule: RuleCfg, ctx: Context) -> pl.DataFrame:
    """sats_ore for each line from the rule's rate in force on the line's first day."""
    rate: Rate = ctx.cfg.rates[rule.rate]
    keyed = lines.with_row_index("_i").join(ctx.utforare.select("utforare_id", "regi"), on="utforare_id", how="left")
    if "roll" not in keyed.columns:
        keyed = keyed.with_columns(pl.lit(None, dtype=pl.String).alias("roll"))
    table = rate.frame(ctx.period.start, ctx.period.end)
    dims = list(rate.by)
    joined = keyed.join(table, on=dims, how="left") if dims else keyed.join(table, how="cross")
    hit = joined.filter(pl.col("fran").is_between("r_fran", "r_till") & pl.col("ore").is_not_null())
    missing = keyed.join(hit.select("_i"), on="_i", how="anti")
    if missing.height:
        raise ConfigError(_missing_rate(rule, rate, missing, ctx))
    return hit.sort("_i").drop("_i", "regi", "r_fran", "r_till").rename({"ore": "sats_ore"})


def _missing_rate(rule: RuleCfg, rate: Rate, missing: pl.DataFrame, ctx: Context) -> list[Fel]:
    keys = missing.select([*rate.by, "fran"]).unique().sort("fran").head(5)
    out = []
    for row in keys.iter_rows(named=True):
        key = ", ".join(f"{d}={row[d]}" for d in rate.by)
        out.append(Fel(f"Regeln '{rule.name}': raten '{rule.rate}' har inget värde {('för ' + key + ' ') if key else ''}"
                       f"den {row['fran']}.", Plats(str(ctx.cfg.path))))
    return out


def finish(lines: pl.DataFrame, rule: RuleCfg) -> pl.DataFrame:
    amount = expr_div_round(pl.col("_num") * pl.col("sats_ore"), pl.col("_den"))
    return lines.with_columns(
        amount.alias("belopp_ore"), pl.lit(0, dtype=pl.Int64).alias("tillagg_ore"),
        pl.lit(rule.name).alias("regel"), pl.lit(rule.basis).alias("basis"),
    ).select(list(RADER_SCHEMA))


def apply_rules(ctx: Context) -> pl.DataFrame:
    """Every rule's money lines, in rule order, sorted within a rule."""
    from . import bases, fees  # noqa: F401  (registers the bases)

    out = []
    for rule in ctx.cfg.cfg.rules:
        if rule.basis == "none":
            continue
        if rule.basis not in BASES:
            raise ConfigError(Fel(f"Regeln '{rule.name}': basis '{rule.basis}' stöds ännu inte av denna version.",
                                  Plats(str(ctx.cfg.path))))
        raw = BASES[rule.basis](rule, ctx)
        lines = raw.select(LINE_COLUMNS + (["roll"] if "roll" in raw.columns else [])).cast(
            {c: pl.Int64 for c in ("ersatt_sek", "antal", "_num", "_den")})
        if lines.height:
            out.append(finish(price(lines, rule, ctx), rule).sort("utforare_id", "brukare_id", "insats", "fran", "bestallning_id"))
    if not out:
        return pl.DataFrame(schema=RADER_SCHEMA)
    return pl.concat(out, how="vertical")
