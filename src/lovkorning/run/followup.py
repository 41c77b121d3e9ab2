"""Follow-up: utförd against beviljad over months, and the flags a controller reviews.

Views (`by`): per utförare, per brukare (at an utförare) or per insats; a row per month and a
`Totalt` row per entity. Andel utförd counts utförd time on insatser that have beviljad tid, over
beviljad tid LOV. Flags (thresholds in the config's `diff:` section):
- `under-mal`: an utförare's andel utförd below the target (003: 85 %), per month;
- `granskning`: a brukare whose utförd differs from beviljad by more than review_percent in at
  least review_months consecutive months (001: "skiljer sig väsentligt under minst två månader");
- `manuell-tid`: an utförare whose counted time was registered by hand at both ends above a share;
- `avbojda-besok`: an utförare with more declined visits per 100 visits than allowed (003).
Every comparison is exact integer arithmetic on seconds and counts.
"""

from __future__ import annotations

import polars as pl

from ..config.schema import DiffCfg
from .history import Figures
from ..core.money import percent_to_bp
from ..settle.adjust import time_sums

KEYS = {"utforare": ["utforare_id"], "brukare": ["utforare_id", "brukare_id"], "insats": ["insats"]}
TOTAL = "Totalt"


def view(fig: Figures, by: str, months: list[str], utforare: str | None = None) -> pl.DataFrame:
    """Rows per entity and month, then a Totalt row per entity, in a stable order."""
    tid = fig.tid.filter(pl.col("utforare_id") == utforare) if utforare else fig.tid
    keys = KEYS[by]
    per_month = time_sums(tid, keys + ["month"])
    total = time_sums(tid, keys).with_columns(pl.lit(TOTAL).alias("month"))
    rows = pl.concat([per_month, total.select(per_month.columns)])
    if by == "utforare":
        rows = rows.join(_verification(fig, utforare), on=["utforare_id", "month"], how="left")
    if "utforare_id" in keys:
        names = fig.utforare.sort("month").unique("utforare_id", keep="last").select("utforare_id", "namn")
        rows = rows.join(names, on="utforare_id", how="left")
    order = {m: i for i, m in enumerate(months + [TOTAL])}
    return rows.with_columns(pl.col("month").replace_strict(order, return_dtype=pl.Int32).alias("_o")).sort(
        keys + ["_o"]).drop("_o")


def _verification(fig: Figures, utforare: str | None) -> pl.DataFrame:
    u = fig.utforare.filter(pl.col("utforare_id") == utforare) if utforare else fig.utforare
    cols = ["besok", "sek", "sek_tagg_bada", "sek_tagg_en", "sek_manuell", "avbojda"]
    total = u.group_by("utforare_id").agg(pl.col(cols).sum()).with_columns(pl.lit(TOTAL).alias("month"))
    return pl.concat([u.select("utforare_id", "month", *cols), total.select("utforare_id", "month", *cols)])


def _runs(months: list[str], hits: set[str], need: int) -> list[list[str]]:
    """Runs of at least `need` consecutive months (in window order) that are all hits."""
    runs, cur = [], []
    for m in months:
        if m in hits:
            cur.append(m)
        else:
            cur = []
            continue
        if len(cur) == need:
            runs.append(cur)
        elif len(cur) > need:
            runs[-1] = list(cur)
    return runs


def flags(fig: Figures, cfg: DiffCfg, months: list[str]) -> pl.DataFrame:
    """Every flag in the window: flagga, utforare_id, brukare_id, manader, varden (percent)."""
    rows = []
    per_utf = time_sums(fig.tid, ["utforare_id", "month"]).filter(pl.col("beviljad_sek") > 0)
    target = percent_to_bp(cfg.target_percent)
    low = per_utf.filter(pl.col("utford_mot_sek") * 10_000 < pl.col("beviljad_sek") * target)
    rows += _grouped("under-mal", low, "utford_mot_sek", "beviljad_sek", months)
    rows += _review(fig, cfg, months)
    u = fig.utforare
    manual = u.filter((pl.col("sek") > 0) & (pl.col("sek_manuell") * 10_000 > pl.col("sek") * percent_to_bp(cfg.max_manual_percent)))
    rows += _grouped("manuell-tid", manual, "sek_manuell", "sek", months)
    declined = u.filter((pl.col("besok") > 0) & (pl.col("avbojda") * 10_000 > pl.col("besok") * percent_to_bp(cfg.max_declined_per_100)))
    rows += _grouped("avbojda-besok", declined, "avbojda", "besok", months)
    schema = {"flagga": pl.String, "utforare_id": pl.String, "brukare_id": pl.String,
              "manader": pl.List(pl.String), "varden": pl.List(pl.Float64)}
    return pl.DataFrame(rows, schema=schema, orient="row")


def _pct(num: int, den: int) -> float:
    return round(num * 100 / den, 1)


def _grouped(flag: str, hits: pl.DataFrame, num: str, den: str, months: list[str]) -> list[tuple]:
    out = []
    for (uid,), g in sorted(hits.group_by(["utforare_id"]), key=lambda x: x[0]):
        by_month = {r["month"]: _pct(r[num], r[den]) for r in g.iter_rows(named=True)}
        ms = [m for m in months if m in by_month]
        out.append((flag, uid, None, ms, [by_month[m] for m in ms]))
    return out


def _review(fig: Figures, cfg: DiffCfg, months: list[str]) -> list[tuple]:
    per = time_sums(fig.tid, ["utforare_id", "brukare_id", "month"]).filter(pl.col("beviljad_sek") > 0)
    bp = percent_to_bp(cfg.review_percent)
    dev = (pl.col("utford_mot_sek") - pl.col("beviljad_sek")).abs() * 10_000 > pl.col("beviljad_sek") * bp
    hits = per.filter(dev)
    out = []
    for (uid, bid), g in sorted(hits.group_by(["utforare_id", "brukare_id"]), key=lambda x: x[0]):
        values = {r["month"]: _pct(r["utford_mot_sek"], r["beviljad_sek"]) for r in g.iter_rows(named=True)}
        runs = _runs(months, set(values), cfg.review_months)
        if runs:
            ms = [m for run in runs for m in run]
            out.append(("granskning", uid, bid, ms, [values[m] for m in ms]))
    return out


TEXT = {
    "under-mal": "Andel utförd under målet {target} %",
    "granskning": "Utförd skiljer sig från beviljad med mer än {review} % i minst {n} månader i följd: begär översyn",
    "manuell-tid": "Mer än {manual} % av den utförda tiden registrerad manuellt",
    "avbojda-besok": "Mer än {declined} avböjda besök per 100 besök",
}


def flag_text(flag: str, cfg: DiffCfg) -> str:
    return TEXT[flag].format(target=cfg.target_percent, review=cfg.review_percent, n=cfg.review_months,
                             manual=cfg.max_manual_percent, declined=cfg.max_declined_per_100)
