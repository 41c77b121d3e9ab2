"""Settle per utförare: zon supplements per line, flag deductions and momskompensation per
utförare on the same base (its lines with their supplements), kvalitetspeng on utförd hours.
Every amount rounded half up once; totals are sums of rounded amounts (contract §2, Rounding)."""

from __future__ import annotations

import polars as pl

from ..config.schema import Config
from .context import Context
from ..core.money import expr_div_round, percent_of, percent_to_bp, time_amount
from .result import JUSTERINGAR_SCHEMA, TID_SCHEMA
from ..config.insatser import insats_classes


def brukare_zon(orders: pl.DataFrame) -> pl.DataFrame:
    """The brukare's zon at an utförare over time: one row per order line with the days it is in
    force (z_fran … z_till, open-ended when null). context.with_zon picks the zon of a day from it."""
    return orders.select("utforare_id", "brukare_id", pl.col("giltig_fran").alias("z_fran"),
                         pl.col("giltig_till").alias("z_till"), "zon", "bestallning_id")


def time_table(ctx: Context) -> pl.DataFrame:
    """Beviljad, uppehåll, LOV (from orders) and utförd, visits (from valid visits) per
    utförare × brukare × insats (TID_SCHEMA)."""
    keys = ["utforare_id", "brukare_id", "insats"]
    o = ctx.order_lines.group_by(keys).agg(pl.col("beviljad_sek", "uppehall_sek", "beviljad_lov_sek").sum())
    v = ctx.visits.besok_insats.lazy().filter(pl.col("giltig")).group_by(keys).agg(
        pl.col("sek").sum().alias("utford_sek"), pl.col("besok_id").n_unique().cast(pl.Int64).alias("antal_besok"),
        (pl.col("insats_nr") == 0).sum().cast(pl.Int64).alias("besok_forsta")).collect()
    t = o.join(v, on=keys, how="full", coalesce=True)
    return t.with_columns(pl.col(c).fill_null(0) for c in TID_SCHEMA if c not in keys).select(list(TID_SCHEMA)).cast(
        TID_SCHEMA).sort(keys)


def add_supplements(rader: pl.DataFrame, cfg: Config, utforare: pl.DataFrame) -> pl.DataFrame:
    """Zon supplements (percent) on each line whose zon, and utförare flag if given, match."""
    flags = utforare.select("utforare_id", "flaggor")
    r = rader.join(flags, on="utforare_id", how="left")
    extra = pl.lit(0, dtype=pl.Int64)
    for s in cfg.supplements:
        if s.percent is None:
            continue
        hit = pl.lit(True)
        if s.zon:
            hit = hit & pl.col("zon").is_in(s.zon)
        if s.flagga:
            hit = hit & pl.col("flaggor").list.contains(s.flagga)
        extra = extra + pl.when(hit).then(expr_div_round(pl.col("belopp_ore") * percent_to_bp(s.percent), 10_000)).otherwise(0)
    return r.with_columns((pl.col("tillagg_ore") + extra).alias("tillagg_ore")).drop("flaggor")


def time_sums(tid: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Sums of time rows by `keys`: beviljad_sek (tid LOV), utford_sek (all), utford_mot_sek (on
    insatser with beviljad tid: the numerator of andel utförd) and antal_besok (per insats when
    `keys` has insats; otherwise each visit once, under its first insats: besok_forsta). One
    definition of andel utförd for the deduction below and for the follow-up's flags."""
    granted = pl.col("beviljad_lov_sek") > 0
    visits = pl.col("antal_besok" if "insats" in keys else "besok_forsta").sum().alias("antal_besok")
    return tid.group_by(keys).agg(
        pl.col("beviljad_lov_sek").sum().alias("beviljad_sek"), pl.col("utford_sek").sum(),
        pl.col("utford_sek").filter(granted).sum().alias("utford_mot_sek"), visits)


def andel_utford(tid: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """Per utförare: (utförd on insatser with beviljad tid, beviljad tid LOV) in seconds."""
    g = time_sums(tid, ["utforare_id"]).select("utforare_id", "utford_mot_sek", "beviljad_sek")
    return {u: (a, b) for u, a, b in g.iter_rows()}


def _below(share: tuple[int, int] | None, percent) -> bool:
    """utförd / beviljad < percent, exactly (no floats); no beviljad tid: not below."""
    if not share or share[1] == 0:
        return False
    return share[0] * 10_000 < share[1] * percent_to_bp(percent)


def paid_utford_seconds(tid: pl.DataFrame, cfg: Config) -> dict[str, int]:
    """Counted visit time per utförare on insatser that some rule pays (kvalitetspeng base), from
    the time table (utford_sek: valid visits' seconds per utförare × brukare × insats)."""
    paid, _, _, catch_all = insats_classes(cfg)
    if not catch_all:
        tid = tid.filter(pl.col("insats").is_in(sorted(paid)))
    return dict(tid.group_by("utforare_id").agg(pl.col("utford_sek").sum()).iter_rows())


def adjustments(rader: pl.DataFrame, cfg: Config, utforare: pl.DataFrame, ctx: Context, tid: pl.DataFrame) -> pl.DataFrame:
    """Deductions, kvalitetspeng and momskompensation per utförare (contract §2, Rounding)."""
    base = dict(rader.group_by("utforare_id").agg((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).iter_rows())
    utford = paid_utford_seconds(tid, cfg)
    shares = andel_utford(tid)
    rows = []
    for u in utforare.sort("utforare_id").iter_rows(named=True):
        uid, b = u["utforare_id"], base.get(u["utforare_id"], 0)
        for d in cfg.deductions:
            flagged = d.flagga is None or d.flagga in u["flaggor"]
            low = d.min_andel_utford is None or _below(shares.get(uid), d.min_andel_utford)
            if flagged and low:
                bp = percent_to_bp(d.percent)
                rows.append((uid, d.name, "avdrag", bp, b, -percent_of(b, bp)))
        for s in cfg.supplements:
            if s.per_utford_timme is not None and (s.flagga is None or s.flagga in u["flaggor"]):
                ore = percent_to_bp(s.per_utford_timme)   # kronor per hour -> öre per hour
                rows.append((uid, s.name, "tillagg", 0, utford.get(uid, 0), time_amount(utford.get(uid, 0), ore)))
        moms = percent_to_bp(cfg.momskompensation.percent)
        if moms and u["regi"] == "privat":
            rows.append((uid, "Momskompensation", "momskompensation", moms, b, percent_of(b, moms)))
    return pl.DataFrame(rows, schema=JUSTERINGAR_SCHEMA, orient="row")


def totals(rader: pl.DataFrame, justeringar: pl.DataFrame, utforare: pl.DataFrame) -> dict[str, int]:
    lines = dict(rader.group_by("utforare_id").agg((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).iter_rows())
    adj = dict(justeringar.group_by("utforare_id").agg(pl.col("belopp_ore").sum()).iter_rows())
    return {u: int(lines.get(u, 0) + adj.get(u, 0)) for u in sorted(utforare["utforare_id"].to_list())}
