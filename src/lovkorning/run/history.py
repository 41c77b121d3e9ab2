"""The month's figures for follow-up, kept in the state folder so `diff` need not re-read a
settled month's exports: `state/historik/<YYYY-MM>/tid.parquet` (per utförare × brukare × insats)
and `utforare.parquet` (per utförare: visits, how their time was verified, declined visits).

Only insatser in LOV are kept: those a `basis: none` rule marks as outside are left out.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ..config.insatser import insats_classes, within_lov
from ..config.loaded import LoadedConfig
from ..core.period import Period
from ..read.indata import has_inputs, require_month
from ..config.schema import INPUT_FILES
from ..read.files import locate
from ..settle.month import settle_month

TID = {"month": pl.String, "utforare_id": pl.String, "brukare_id": pl.String, "insats": pl.String,
       "beviljad_lov_sek": pl.Int64, "utford_sek": pl.Int64, "antal_besok": pl.Int64, "besok_forsta": pl.Int64}
UTF = {"month": pl.String, "utforare_id": pl.String, "namn": pl.String, "regi": pl.String, "besok": pl.Int64,
       "sek": pl.Int64, "sek_tagg_bada": pl.Int64, "sek_tagg_en": pl.Int64, "sek_manuell": pl.Int64,
       "avbojda": pl.Int64}


@dataclass
class Figures:
    tid: pl.DataFrame       # TID
    utforare: pl.DataFrame  # UTF
    source: str = "indata"  # "historik" from the state folder; "historik-indata-andrade" if the
                            # month's input files have changed since that run


def figures(settled, cfg: LoadedConfig) -> Figures:
    """The follow-up figures of a settled month."""
    month = settled.avr.period.label
    _, unpaid, _, _ = insats_classes(cfg.cfg)
    tid = within_lov(settled.avr.tid, unpaid).select(
        pl.lit(month).alias("month"), "utforare_id", "brukare_id", "insats", "beviljad_lov_sek", "utford_sek",
        "antal_besok", "besok_forsta")
    return Figures(tid.cast(TID), verification(settled, month, unpaid))


def only_outside_lov(unpaid) -> pl.Expr:
    """A visit (or declined visit) whose insatser are all outside LOV (rules with basis none)."""
    return (pl.col("insatser").list.len() > 0) & pl.col("insatser").list.eval(
        pl.element().is_in(sorted(unpaid))).list.all()


def verification(settled, month: str, unpaid=frozenset()) -> pl.DataFrame:
    """Per utförare: counted visit time by how it was verified, and declined visits; visits of
    insatser outside LOV left out, as they are from the time table. Lazy, so only the columns the
    sums need are filtered (a copy of every visit column: 3.5 GiB more at the Sweden size)."""
    v = settled.visits.besok.lazy().filter(pl.col("giltig") & ~only_outside_lov(unpaid))
    tags = (pl.col("metod_in") == "tagg").cast(pl.Int8) + (pl.col("metod_ut") == "tagg").cast(pl.Int8)
    per = v.group_by("utforare_id").agg(
        pl.len().cast(pl.Int64).alias("besok"), pl.col("raknade_sek").sum().alias("sek"),
        pl.col("raknade_sek").filter(tags == 2).sum().alias("sek_tagg_bada"),
        pl.col("raknade_sek").filter(tags == 1).sum().alias("sek_tagg_en"),
        pl.col("raknade_sek").filter(tags == 0).sum().alias("sek_manuell")).collect()
    declined = settled.visits.avbojt.lazy().filter(~only_outside_lov(unpaid)).group_by("utforare_id").agg(
        pl.len().cast(pl.Int64).alias("avbojda")).collect()
    u = settled.avr.utforare.select("utforare_id", "namn", "regi").join(per, on="utforare_id", how="left").join(
        declined, on="utforare_id", how="left")
    u = u.with_columns(pl.lit(month).alias("month"), *(pl.col(c).fill_null(0) for c in UTF if c.startswith(("sek", "besok", "avb"))))
    return u.select(list(UTF)).cast(UTF).sort("utforare_id")


def folder(cfg: LoadedConfig, month: str) -> Path:
    return cfg.state_dir() / "historik" / month


def save(cfg: LoadedConfig, fig: Figures, month: str, run_id: str, inputs: dict[str, str]) -> None:
    """Keep the figures with the run id and the inputs' sha256 they were settled from."""
    d = folder(cfg, month)
    d.mkdir(parents=True, exist_ok=True, mode=0o700)
    meta = json.dumps({"run_id": run_id, "inputs": inputs}, indent=2, sort_keys=True).encode()
    for name, write in (("tid.parquet", fig.tid.write_parquet), ("utforare.parquet", fig.utforare.write_parquet),
                        ("meta.json", lambda p: p.write_bytes(meta))):
        tmp = d / f".{name}.tmp"
        write(tmp)
        tmp.chmod(0o600)
        tmp.replace(d / name)


def inputs_changed(cfg: LoadedConfig, period: Period, meta: dict) -> bool:
    """Do the month's input files differ from those the history was settled from?"""
    now = {}
    for name in INPUT_FILES:
        path = locate(cfg.input_dir(period.label), name, cfg.input_path(name, period.label))
        if path is not None:
            now[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return now != meta.get("inputs")


def _tid(df: pl.DataFrame) -> pl.DataFrame:
    """A stored time table as TID. One kept before besok_forsta was has each visit counted under
    each of its insatser: the best it can give for a total is that count."""
    if "besok_forsta" not in df.columns:
        df = df.with_columns(pl.col("antal_besok").alias("besok_forsta"))
    return df.select(list(TID)).cast(TID)


def saved(cfg: LoadedConfig, period: Period) -> bool:
    """Has a run kept the month's figures in the state folder?"""
    d = folder(cfg, period.label)
    return (d / "tid.parquet").exists() and (d / "utforare.parquet").exists()


def load_or_compute(cfg: LoadedConfig, period: Period, today: date) -> Figures:
    """A settled month from the state folder; a month never run, from its inputs."""
    d = folder(cfg, period.label)
    if saved(cfg, period):
        meta = json.loads((d / "meta.json").read_text()) if (d / "meta.json").exists() else {}
        source = "historik-indata-andrade" if inputs_changed(cfg, period, meta) else "historik"
        return Figures(_tid(pl.read_parquet(d / "tid.parquet")),
                       pl.read_parquet(d / "utforare.parquet").cast(UTF), source)
    return figures(settle_month(cfg, period, today), cfg)


def window(cfg: LoadedConfig, last: Period, months: int, today: date
           ) -> tuple[list[str], Figures, dict[str, str], list[str]]:
    """The `months` months ending with `last`, oldest first; their figures and where each came
    from; and the months with neither history nor inputs (left out: the months before a
    municipality started with lovkorning). `last`, asked for by name, must be there."""
    periods = [last]
    for _ in range(months - 1):
        periods.insert(0, periods[0].previous())
    if not saved(cfg, last):
        require_month(cfg, last)
    shown = [p for p in periods if saved(cfg, p) or has_inputs(cfg, p)]
    figs = [load_or_compute(cfg, p, today) for p in shown]
    return ([p.label for p in periods],
            Figures(pl.concat([f.tid for f in figs]), pl.concat([f.utforare for f in figs])),
            {p.label: f.source for p, f in zip(shown, figs)},
            [p.label for p in periods if p not in shown])
