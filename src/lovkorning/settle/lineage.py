"""Lineage (`explain`, contract §5): every money line traced to the input rows its amount rests on.

The utförare asked about are settled again from the month's own frames, cut to those utförare
(every basis works per utförare, so the cut changes no line), with `ctx.trace`: the bases that sum
visits or registrations into a line keep their ids on it (context.TRACE). The traced lines must be
the month's lines for those utförare, column for column, or nothing is explained
(`ReconciliationError`). A line's rows (`file:row`, row as in avvikelser.csv) are then:

- a visit summed into the line (utförd tid, besök, schablon): its check-in and check-out rows; a
  declined visit: its own row. A line of utförd tid capped at beviljad tid names every visit
  charged to it, the seconds above the cap too;
- a line of one order (beviljad, manad, utford with cap order, schablon): the order's row; for
  beviljad and manad also the uppehåll rows that cut the order within the line's days;
- utford with a cap: the orders whose beviljad tid is the cap (the line's order; for cap brukare the
  brukare's orders the rule names), the uppehåll rows that cut them this month and the brukare's
  övertid rows, whether or not the cap binds this month: the cap is part of how the line is paid;
- start: the order(s) whose first day makes the brukare new; genomforandeplan: the plan paid.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..config.loaded import LoadedConfig
from ..config.schema import INPUT_FILES, RuleCfg
from ..core.errors import Fel, ReconciliationError
from ..read.indata import Indata
from ..visits.pairing import Visits
from .adjust import add_supplements
from .bases import plan_status
from .context import TRACE, Context, matches
from .engine import apply_rules
from .month import Settled, context
from .result import RADER_SCHEMA

LINK_SCHEMA = {"_line": pl.UInt32, "fil": pl.String, "rad": pl.Int64}
ITEM_SCHEMA = {"_line": pl.UInt32, "id": pl.Int64}
ORDER_BASES = ("beviljad", "manad")          # lines paid on an order's days: its uppehåll rows cut them
VISIT_BASES = ("utford", "besok", "schablon")   # lines paid on the visits (registrations) they sum


@dataclass
class Lineage:
    lines: pl.DataFrame     # RADER_SCHEMA + _line (0, 1, …): the utförare's lines by brukare, insats, day, rule
    links: pl.DataFrame     # LINK_SCHEMA: every row each line rests on, in file order
    items: pl.DataFrame     # ITEM_SCHEMA: the visits (besok_id) and declined visits (−row) summed into each line


def trace(cfg: LoadedConfig, settled: Settled, utforare: list[str]) -> Lineage:
    """The lines of `utforare` in the settled month, each with the input rows it rests on."""
    ctx = cut_context(cfg, settled, utforare)
    traced = add_supplements(apply_rules(ctx), cfg.cfg, ctx.utforare)
    same_lines(traced, settled.avr.rader, utforare)
    lines = traced.with_columns(pl.col(TRACE).list.min().alias("_first")).sort(
        "utforare_id", pl.col("brukare_id").is_null(), "brukare_id", "insats", "fran", "regel", "bestallning_id", "till", "zon",
        "sats_ore", "belopp_ore", "_first", nulls_last=True).drop("_first").with_row_index("_line")
    rules = {r.name: r for r in cfg.cfg.rules}
    items = lines.select("_line", pl.col(TRACE).alias("id")).explode("id").drop_nulls("id").unique().cast(ITEM_SCHEMA)
    links = pl.concat([f.select(list(LINK_SCHEMA)).cast(LINK_SCHEMA) for f in (
        _visit_rows(items, ctx), _order_rows(lines, rules, ctx), _start_rows(lines, rules, ctx),
        _plan_rows(lines, ctx), _overtid_rows(lines, rules, ctx))])
    rank = pl.col("fil").str.split(".").list.first().replace_strict(
        {n: i for i, n in enumerate(INPUT_FILES)}, default=len(INPUT_FILES), return_dtype=pl.Int64)
    links = links.unique().sort("_line", rank, "fil", "rad")
    bare = lines.join(links, on="_line", how="anti")
    if bare.height:
        raise ReconciliationError(Fel(f"{bare.height} rader i avräkningen för {', '.join(utforare)} kan inte "
                                      "härledas till någon indatarad; förklaringen visas inte. Rapportera felet."))
    return Lineage(lines.drop(TRACE), links, items.sort("_line", "id"))


def cut_context(cfg: LoadedConfig, settled: Settled, utforare: list[str]) -> Context:
    """The month's context cut to `utforare` (uppehåll for every utförare kept), tracing."""
    mine = pl.col("utforare_id").is_in(utforare)
    f = settled.indata.frames
    frames = {**f, "utforare": f["utforare"].filter(mine), "bestallningar": f["bestallningar"].filter(mine),
              "uppehall": f["uppehall"].filter(pl.col("utforare_id").is_null() | mine),
              "genomforandeplaner": f["genomforandeplaner"].filter(mine), "overtid": f["overtid"].filter(mine)}
    v = settled.visits
    visits = Visits(v.besok.filter(mine), v.besok_insats.filter(mine), v.avbojt.filter(mine), v.avvikelser.clear())
    ctx = context(cfg, settled.avr.period, Indata(frames, settled.indata.avvikelser.clear()), visits, settled.carry)
    ctx.trace = True
    return ctx


def same_lines(traced: pl.DataFrame, rader: pl.DataFrame, utforare: list[str]) -> None:
    """The traced lines are the month's lines of `utforare`, every column, or nothing is explained."""
    cols = list(RADER_SCHEMA)
    want = rader.filter(pl.col("utforare_id").is_in(utforare)).sort(cols, nulls_last=True)
    got = traced.select(cols).sort(cols, nulls_last=True)
    if not got.equals(want):
        raise ReconciliationError(Fel(
            f"Förklaringen av {', '.join(utforare)} ger andra rader än avräkningen ({got.height} mot {want.height} "
            f"rader, {_sum(got)} mot {_sum(want)} öre); den visas inte. Rapportera felet."))


def _sum(df: pl.DataFrame) -> int:
    return int(df.select((pl.col("belopp_ore") + pl.col("tillagg_ore")).sum()).item() or 0)


def _visit_rows(items: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Both tag rows of each visit summed into a line; a declined visit's own row."""
    v = ctx.visits.besok.select("besok_id", pl.col("_fil").cast(pl.String).alias("fil"), "in_rad", "ut_rad")
    done = items.filter(pl.col("id") > 0).join(v, left_on="id", right_on="besok_id")
    d = ctx.visits.avbojt.select(pl.col("_rad").alias("rad"), pl.col("_fil").cast(pl.String).alias("fil"))
    declined = items.filter(pl.col("id") < 0).with_columns((-pl.col("id")).alias("rad")).join(d, on="rad")
    return pl.concat([done.select("_line", "fil", pl.col("in_rad").alias("rad")),
                      done.select("_line", "fil", pl.col("ut_rad").alias("rad")).drop_nulls("rad"),
                      declined.select("_line", "fil", "rad")])


def _capped(rule: RuleCfg | None) -> bool:
    return rule is not None and rule.basis == "utford" and rule.cap in ("order", "brukare")


def _cap_orders(lines: pl.DataFrame, rules: dict[str, RuleCfg], ctx: Context) -> pl.DataFrame:
    """_line, bestallning_id: the orders whose beviljad tid caps each capped line of utförd tid."""
    out = [pl.DataFrame(schema={"_line": pl.UInt32, "bestallning_id": pl.String})]
    for name, rule in rules.items():
        if not _capped(rule):
            continue
        mine = lines.filter(pl.col("regel") == name)
        if rule.cap == "order":
            out.append(mine.select("_line", "bestallning_id"))
        else:
            o = ctx.order_lines.filter(matches(rule)).select("utforare_id", "brukare_id", "bestallning_id").unique()
            out.append(mine.select("_line", "utforare_id", "brukare_id").join(o, on=["utforare_id", "brukare_id"])
                       .select("_line", "bestallning_id"))
    return pl.concat(out)


def _order_rows(lines: pl.DataFrame, rules: dict[str, RuleCfg], ctx: Context) -> pl.DataFrame:
    """The order row of every line of one order and of every cap; the uppehåll rows that cut the
    order within an order line's days (beviljad, manad) or within the cap orders' month."""
    orders = ctx.orders.select("bestallning_id", pl.col("_fil").alias("fil"), pl.col("_rad").alias("rad"))
    own = lines.filter(pl.col("bestallning_id").is_not_null()).select("_line", "bestallning_id")
    caps = _cap_orders(lines, rules, ctx)
    spans = ctx.order_lines.group_by("bestallning_id").agg(
        pl.col("utforare_id", "brukare_id").first(), pl.col("a").min().alias("fran"), pl.col("b").max().alias("till"))
    cut = pl.concat([lines.filter(pl.col("basis").is_in(ORDER_BASES)).select(
                         "_line", "utforare_id", "brukare_id", "fran", "till"),
                     caps.join(spans, on="bestallning_id").select("_line", "utforare_id", "brukare_id", "fran", "till")])
    u = ctx.uppehall.select(pl.col("utforare_id").alias("u_utf"), "brukare_id", pl.col("fran").alias("u_fran"),
                            pl.col("till").alias("u_till"), pl.col("_fil").alias("fil"), pl.col("_rad").alias("rad"))
    pauses = cut.join(u, on="brukare_id").filter(
        (pl.col("u_utf").is_null() | (pl.col("u_utf") == pl.col("utforare_id"))) & (pl.col("u_fran") <= pl.col("till"))
        & (pl.col("u_till").is_null() | (pl.col("u_till") >= pl.col("fran"))))
    return pl.concat([pl.concat([own, caps]).join(orders, on="bestallning_id").select("_line", "fil", "rad"),
                      pauses.select("_line", "fil", "rad")])


def _overtid_rows(lines: pl.DataFrame, rules: dict[str, RuleCfg], ctx: Context) -> pl.DataFrame:
    """The brukare's övertid rows for every capped line of utförd tid: they raise its cap."""
    capped = [n for n, r in rules.items() if _capped(r)]
    o = ctx.overtid.select("utforare_id", "brukare_id", pl.col("_fil").alias("fil"), pl.col("_rad").alias("rad"))
    return lines.filter(pl.col("regel").is_in(capped)).join(o, on=["utforare_id", "brukare_id"])


def _start_rows(lines: pl.DataFrame, rules: dict[str, RuleCfg], ctx: Context) -> pl.DataFrame:
    """A start fee: the orders (the rule's insatser) verkställda first, on the line's day."""
    out = [pl.DataFrame(schema=LINK_SCHEMA)]
    for name, rule in rules.items():
        if rule.basis != "start":
            continue
        o = ctx.orders.filter(pl.col("verkstalld_fran").is_not_null() & matches(rule)).select(
            "utforare_id", "brukare_id", pl.max_horizontal("giltig_fran", "verkstalld_fran").alias("fran"),
            pl.col("_fil").alias("fil"), pl.col("_rad").alias("rad"))
        out.append(lines.filter(pl.col("regel") == name).join(o, on=["utforare_id", "brukare_id", "fran"]))
    return pl.concat([f.select(list(LINK_SCHEMA)) for f in out])


def _plan_rows(lines: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """A genomförandeplan line: the plan paid (the first approved one, this month)."""
    p = plan_status(ctx.plans, ctx).filter(pl.col("status") == "ersatt").select(
        "utforare_id", "brukare_id", pl.col("godkand").alias("fran"), pl.col("_fil").alias("fil"),
        pl.col("_rad").alias("rad"))
    return lines.filter(pl.col("basis") == "genomforandeplan").join(p, on=["utforare_id", "brukare_id", "fran"])
