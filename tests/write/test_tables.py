"""The workbook tables are worked out for every utförare at once (write/tables.py): each utförare's
tables must be what they are when worked out from its own rows alone, its rounding (the hours
that add up to the Totalt row) included."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import settle_month
from lovkorning.write.cells import Options
from lovkorning.write.tables import all_tables

REPO = Path(__file__).resolve().parents[2]
FRAMES = ("tid", "rader", "justeringar", "avvikelser")


@pytest.fixture(scope="module")
def month():
    cfg = load(REPO / "config" / "norrkoping.yaml")      # with insatser outside LOV (basis: none)
    return settle_month(cfg, Period(2023, 9), date(2023, 10, 9)).avr, Options.of(cfg)


def test_each_utforares_tables_are_those_of_its_own_rows(month):
    avr, opts = month
    ids = avr.utforare["utforare_id"].sort().to_list() + ["U-INGA"]      # no rows at all
    together = all_tables(ids, *(getattr(avr, n) for n in FRAMES), opts=opts)
    assert list(together) == ids
    outside = 0
    for uid in ids:
        own = {n: getattr(avr, n).filter(pl.col("utforare_id") == uid) for n in FRAMES}
        alone = all_tables([uid], **own, opts=opts)[uid]
        t = together[uid]
        for name in ("timunderlag", "per_brukare", "rader", "avvikelser", "utanfor_lov"):
            a, b = getattr(t, name), getattr(alone, name)
            assert (a is None) == (b is None), (uid, name)
            if a is not None:
                assert a.rows.equals(b.rows), (uid, name)
                assert a.total == b.total, (uid, name)
        assert (t.amounts, t.avvikelser_listed, t.antal_avvikelser) == \
            (alone.amounts, alone.avvikelser_listed, alone.antal_avvikelser), uid
        outside += t.utanfor_lov is not None
    assert outside, "the sample month has time outside LOV: that table is compared too"
    empty = together["U-INGA"]
    assert empty.timunderlag.rows.is_empty() and empty.amounts == [] and empty.antal_avvikelser == 0
    assert empty.timunderlag.total[0] == "Totalt"


def test_the_rows_of_a_table_add_up_to_its_totalt_row_per_utforare(month):
    avr, opts = month
    ids = avr.utforare["utforare_id"].sort().to_list()
    for uid, t in all_tables(ids, *(getattr(avr, n) for n in FRAMES), opts=opts).items():
        rows = t.per_brukare.rows
        for c in ("c2", "c3", "c4", "c5", "c6"):     # the hours columns: rows rounded to add up to the total
            total = t.per_brukare.total[int(c[1:])]
            assert round(rows[c].fill_null(0).sum(), 2) == round(total or 0, 2), (uid, c)
