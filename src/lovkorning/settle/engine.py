"""The model engine: every rule of the config, applied by its basis, gives money lines.

A basis is a small pure function `(rule, ctx) -> lines`, listed by name in the `BASES` table at
the end of bases.py and fees.py; the two tables are merged here. Lines carry `_num`/`_den` so one
step prices them all: belopp = round_half_up(_num × sats_ore, _den) — seconds/3600 for time, count/1 for fees,
active days/month days for monthly fees.
"""

from __future__ import annotations

import polars as pl

from ..config.schema import RuleCfg
from ..core.errors import ConfigError, Fel, Plats
from ..core.money import expr_div_round
from ..config.rates import Rate
from .result import RADER_SCHEMA
from . import bases, fees
from .context import TRACE, Basis, Context, LINE_COLUMNS, trace_column


BASES: dict[str, Basis] = {**bases.BASES, **fees.BASES}   # basis name → function; "none" pays nothing


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
    ).select(list(RADER_SCHEMA) + [c for c in (TRACE,) if c in lines.columns])


def apply_rules(ctx: Context) -> pl.DataFrame:
    """Every rule's money lines, in rule order, sorted within a rule."""

    out = []
    for rule in ctx.cfg.cfg.rules:
        if rule.basis == "none":
            continue
        if rule.basis not in BASES:
            raise ConfigError(Fel(f"Regeln '{rule.name}': basis '{rule.basis}' stöds ännu inte av denna version.",
                                  Plats(str(ctx.cfg.path))))
        raw = BASES[rule.basis](rule, ctx)
        if ctx.trace and TRACE not in raw.columns:       # a basis of orders or plans: lineage.py finds its rows
            raw = raw.with_columns(pl.lit(None, dtype=pl.List(pl.Int64)).alias(TRACE))
        lines = raw.select(LINE_COLUMNS + (["roll"] if "roll" in raw.columns else []) + trace_column(ctx)).cast(
            {c: pl.Int64 for c in ("ersatt_sek", "antal", "_num", "_den")})
        if lines.height:
            out.append(finish(price(lines, rule, ctx), rule).sort("utforare_id", "brukare_id", "insats", "fran", "bestallning_id"))
    if not out:
        return pl.DataFrame(schema=RADER_SCHEMA | ({TRACE: pl.List(pl.Int64)} if ctx.trace else {}))
    return pl.concat(out, how="vertical")
