"""Settling a month two ways and asserting the two agree to the öre, with the same avvikelser per
code and the same visits: for the tests that give one month in two shapes (tag events and visit
rows, the contract's visit rows and a time system's export)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import Settled, settle_month

ROW_COLUMNS = ["_fil", "in_rad", "ut_rad"]        # the visits' source rows: the only thing that differs


def settle(cfg: Path, period: Period) -> Settled:
    return settle_month(load(cfg), period, date(2030, 1, 2))


def counts(s: Settled) -> dict[str, int]:
    return dict(s.avr.avvikelser.group_by("kod").len().iter_rows())


def assert_same_month(a: Settled, b: Settled) -> None:
    assert b.avr.totals == a.avr.totals
    assert counts(b) == counts(a)
    for name in ("rader", "justeringar", "tid"):
        assert_frame_equal(getattr(b.avr, name), getattr(a.avr, name))
    texts = [pl.col(pl.Categorical).cast(pl.String)]
    assert_frame_equal(b.visits.besok.drop(ROW_COLUMNS).with_columns(texts),
                       a.visits.besok.drop(ROW_COLUMNS).with_columns(texts))
    assert_frame_equal(b.visits.besok_insats, a.visits.besok_insats)
