"""Which insatser the rules pay, which they know but leave outside LOV, and which need no order:
a property of the config's rules, used by the findings, the follow-up and the sheets."""

from __future__ import annotations

import polars as pl

from .schema import Config


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


def within_lov(tid: pl.DataFrame, outside: set[str] | frozenset[str]) -> pl.DataFrame:
    """The time rows of insatser within LOV: rows of the insatser `outside` LOV (named only by
    `basis: none` rules, insats_classes' second set) left out, as every LOV figure does."""
    return tid.filter(~pl.col("insats").is_in(sorted(outside)).fill_null(False)) if outside else tid
