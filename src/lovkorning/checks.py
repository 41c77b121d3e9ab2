"""Findings that need the orders and the model: what a visit or an order line means for pay.

- besok-utan-bestallning: a counted visit at a brukare with no order at that utförare this month.
- insats-ej-i-bestallning: the brukare has orders there, but none for this insats that day.
- insats-ej-i-lov / bestallning-ej-i-lov: the insats is matched only by `basis: none` rules.
- insats-utan-regel / bestallning-utan-regel: no rule names the insats (never silently dropped).
- besok-under-uppehall: a counted visit on a day of the brukare's uppehåll.
Insatser paid without an order (`utford` with `cap: none`, `besok`) are not expected in orders.
"""

from __future__ import annotations

import polars as pl

from . import avvikelser as av
from .beviljad import uppehall_days
from .bases import plan_status
from .config import Config
from .engine import Context


def insats_classes(cfg: Config) -> tuple[set[str], set[str], set[str], bool]:
    """(paid insatser, known-but-unpaid insatser, insatser that need no order, a rule pays any
    insats). An insats needs no order when every rule naming it pays visits without one
    (`utford` with `cap: none`, `besok`); a rule naming no insats never exempts one."""
    paid, unpaid, orderless, ordered, catch_all = set(), set(), set(), set(), False
    for r in cfg.rules:
        names = set(r.named_insatser())
        if r.basis == "none":
            unpaid |= names
            continue
        if not names and not r.roller and r.basis in ("utford", "besok"):
            catch_all = True
        paid |= names
        if (r.basis == "utford" and r.cap == "none") or r.basis == "besok":
            orderless |= names
        else:
            ordered |= names
    return paid, unpaid - paid, orderless - ordered, catch_all


def visit_findings(ctx: Context) -> pl.DataFrame:
    paid, unpaid, orderless, catch_all = insats_classes(ctx.cfg.cfg)
    vi = ctx.visits.besok_insats.filter(pl.col("giltig"))
    src = ctx.visits.besok.select("besok_id", "_fil", pl.col("in_rad").alias("_rad"))
    vi = vi.join(src, on="besok_id", how="left")
    has_orders = ctx.order_lines.select("utforare_id", "brukare_id").unique().with_columns(pl.lit(True).alias("_har"))
    vi = vi.join(has_orders, on=["utforare_id", "brukare_id"], how="left").with_columns(pl.col("_har").fill_null(False))
    needs_order = ~pl.col("insats").is_in(sorted(orderless))
    no_order = vi.filter(~pl.col("_har") & needs_order).unique("besok_id", keep="first", maintain_order=True)
    default_zon = vi.filter(~pl.col("_har") & ~needs_order).unique("besok_id", keep="first", maintain_order=True)
    in_order = _ordered_that_day(vi, ctx)
    not_in = vi.filter(pl.col("_har") & needs_order & ~pl.col("insats").is_in(sorted(unpaid))).join(
        in_order, on=["besok_id", "insats"], how="anti")
    known = sorted(paid | unpaid)
    return av.concat([
        av.from_rows("besok-utan-bestallning", no_order, "Brukaren har ingen beställning hos utföraren denna månad."),
        av.from_rows("zon-saknas", default_zon, f"Brukaren har ingen beställning hos utföraren; zonen "
                     f"'{ctx.cfg.cfg.default_zon}' används för besöket."),
        av.from_rows("insats-ej-i-bestallning", not_in, pl.format(
            "Insatsen '{}' finns inte i brukarens beställning den {}.", pl.col("insats"), pl.col("datum"))),
        av.from_rows("insats-ej-i-lov", vi.filter(pl.col("insats").is_in(sorted(unpaid))), pl.format(
            "Insatsen '{}' ersätts inte enligt modellen (ingår ej i LOV).", pl.col("insats"))),
        av.from_rows("insats-utan-regel", vi.filter(~pl.col("insats").is_in(known) & ~pl.lit(catch_all)), pl.format(
            "Insatsen '{}' omfattas inte av någon ersättningsregel och ersätts inte.", pl.col("insats"))),
        _during_pause(ctx, src),
    ])


def _ordered_that_day(vi: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    o = ctx.orders.select("utforare_id", "brukare_id", "insats", "giltig_fran", "giltig_till")
    j = vi.select("besok_id", "utforare_id", "brukare_id", "insats", "datum").join(
        o, on=["utforare_id", "brukare_id", "insats"])
    ok = (pl.col("datum") >= pl.col("giltig_fran")) & (pl.col("giltig_till").is_null() | (pl.col("datum") <= pl.col("giltig_till")))
    return j.filter(ok).select("besok_id", "insats").unique()


def _during_pause(ctx: Context, src: pl.DataFrame) -> pl.DataFrame:
    pause = uppehall_days(ctx.uppehall, ctx.period).rename({"utforare_id": "u_utf", "dag": "datum"})
    v = ctx.visits.besok.filter(pl.col("giltig")).select("besok_id", "utforare_id", "brukare_id", "datum")
    hit = v.join(pause, on=["brukare_id", "datum"]).filter(
        pl.col("u_utf").is_null() | (pl.col("u_utf") == pl.col("utforare_id"))).unique("besok_id", keep="first")
    hit = hit.join(src, on="besok_id").sort("_rad")
    return av.from_rows("besok-under-uppehall", hit, pl.format(
        "Besök den {} under brukarens uppehåll ({}).", pl.col("datum"), pl.col("orsak").fill_null("orsak saknas")))


def order_rule_findings(ctx: Context) -> pl.DataFrame:
    paid, unpaid, _, _ = insats_classes(ctx.cfg.cfg)
    active = ctx.orders.join(ctx.order_lines.select("bestallning_id").unique(), on="bestallning_id", how="semi")
    return av.concat([
        av.from_rows("bestallning-ej-i-lov", active.filter(pl.col("insats").is_in(sorted(unpaid))), pl.format(
            "Insatsen '{}' ersätts inte enligt modellen (ingår ej i LOV).", pl.col("insats")), "insats"),
        av.from_rows("bestallning-utan-regel", active.filter(~pl.col("insats").is_in(sorted(paid | unpaid))), pl.format(
            "Insatsen '{}' omfattas inte av någon ersättningsregel och ersätts inte.", pl.col("insats")), "insats"),
    ])


def plan_findings(ctx: Context) -> pl.DataFrame:
    if not any(r.basis == "genomforandeplan" for r in ctx.cfg.cfg.rules):
        return av.empty()
    p = plan_status(ctx.plans, ctx)
    return av.concat([
        av.from_rows("genomforandeplan-redan-ersatt", p.filter(pl.col("status") == "redan"),
                     "En tidigare genomförandeplan för brukaren hos utföraren finns; bara den första ersätts.", "godkand"),
        av.from_rows("utanfor-perioden", p.filter(pl.col("status").is_in(["tidigare", "senare"])),
                     "Genomförandeplanen godkändes utanför månaden och ersätts inte nu.", "godkand"),
        av.from_rows("genomforandeplan-utan-bestallning", p.filter(pl.col("status") == "utan-bestallning"),
                     "Brukaren har ingen beställning hos utföraren denna månad; planen ersätts inte.", "godkand"),
    ])
