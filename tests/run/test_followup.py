"""Follow-up flags (issue 4) on hand-built months: each flag, and what must not trip it.

Figures are per month, utförare, brukare and insats, in seconds: 36 000 s = 10 h beviljad.
"""

import polars as pl
import pytest

from lovkorning.config.schema import DiffCfg
from lovkorning.run.followup import _runs, flags, view
from lovkorning.run.history import TID, UTF, Figures

MONTHS = ["2023-07", "2023-08", "2023-09"]
A, B, C = "194001011230", "193506124563", "192812247894"


def tid(rows):
    """Rows (month, utförare, brukare, insats, beviljad, utförd, visits[, of which first under this insats])."""
    return pl.DataFrame([dict(month=m, utforare_id=u, brukare_id=b, insats=i, beviljad_lov_sek=bev, utford_sek=utf,
                              antal_besok=n, besok_forsta=first[0] if first else n)
                         for m, u, b, i, bev, utf, n, *first in rows], schema=TID)


def utf(rows=()):
    base = {(m, u): dict(month=m, utforare_id=u, namn=f"Utförare {u}", regi="privat", besok=100, sek=36_000,
                         sek_tagg_bada=36_000, sek_tagg_en=0, sek_manuell=0, avbojda=0) for m in MONTHS for u in ("U01", "U02")}
    for m, u, changes in rows:
        base[(m, u)].update(changes)
    return pl.DataFrame(list(base.values()), schema=UTF)


def month_rows(u, b, shares, bev=36_000, insats="RAM-tid"):
    return [(m, u, b, insats, bev, round(bev * s), 30) for m, s in zip(MONTHS, shares)]


def flagged(fig, **cfg):
    f = flags(fig, DiffCfg(**cfg), MONTHS)
    return sorted((r["flagga"], r["utforare_id"], r["brukare_id"], tuple(r["manader"])) for r in f.iter_rows(named=True))


def test_nothing_is_flagged_when_utford_is_close_to_beviljad():
    fig = Figures(tid(month_rows("U01", A, [0.95, 0.9, 1.02]) + month_rows("U02", B, [0.88, 1.0, 1.19])), utf())
    assert flagged(fig) == []


def test_utforare_under_the_85_percent_target_in_each_month_it_is():
    fig = Figures(tid(month_rows("U01", A, [0.84, 0.86, 0.80]) + month_rows("U02", B, [0.95] * 3)), utf())
    assert flagged(fig) == [("under-mal", "U01", None, ("2023-07", "2023-09"))]


def test_exactly_at_the_target_is_not_under_it():
    fig = Figures(tid(month_rows("U01", A, [0.85] * 3)), utf())
    assert flagged(fig) == []


def test_review_needs_two_consecutive_months_of_large_difference():
    rows = (month_rows("U01", A, [0.95, 0.60, 0.62])      # 2 months in a row below: review
            + month_rows("U01", B, [0.60, 0.95, 0.60])    # two months, not consecutive: no
            + month_rows("U01", C, [1.40, 1.30, 1.00]))   # above beviljad counts too
    fig = Figures(tid(rows), utf())
    got = [f for f in flagged(fig, target_percent=0) if f[0] == "granskning"]
    assert got == sorted([("granskning", "U01", A, ("2023-08", "2023-09")), ("granskning", "U01", C, ("2023-07", "2023-08"))])


def test_a_month_without_beviljad_tid_breaks_the_run():
    rows = [("2023-07", "U01", A, "RAM-tid", 36_000, 20_000, 30), ("2023-08", "U01", A, "Avlösning", 0, 5_000, 3),
            ("2023-09", "U01", A, "RAM-tid", 36_000, 20_000, 30)]
    assert flagged(Figures(tid(rows), utf()), target_percent=0) == []


def test_review_months_and_percent_come_from_the_config():
    fig = Figures(tid(month_rows("U01", A, [0.70, 0.70, 0.70])), utf())
    assert flagged(fig, target_percent=0, review_months=3)[0][3] == tuple(MONTHS)
    assert flagged(fig, target_percent=0, review_percent=35) == []


def test_time_without_beviljad_tid_does_not_inflate_andel():
    # a misregistered Morgonhjälp visit (no beviljad tid) must not lift 80 % to above 85 %
    rows = month_rows("U01", A, [0.80] * 3) + [(m, "U01", A, "Morgonhjälp", 0, 3600, 4) for m in MONTHS]
    assert flagged(Figures(tid(rows), utf()))[0][:2] == ("under-mal", "U01")


def test_manual_time_share_per_utforare():
    fig = Figures(tid(month_rows("U01", A, [0.95] * 3)),
                  utf([("2023-08", "U02", dict(sek_manuell=7_200, sek_tagg_bada=28_800)),     # 20 %
                       ("2023-09", "U02", dict(sek_manuell=3_600, sek_tagg_bada=32_400))]))   # 10 %: not above
    assert flagged(fig) == [("manuell-tid", "U02", None, ("2023-08",))]


def test_declined_visits_per_hundred():
    fig = Figures(tid(month_rows("U01", A, [0.95] * 3)), utf([("2023-09", "U01", dict(avbojda=8)),
                                                               ("2023-08", "U01", dict(avbojda=5))]))
    assert flagged(fig) == [("avbojda-besok", "U01", None, ("2023-09",))]


def test_view_has_a_row_per_month_and_a_total():
    fig = Figures(tid(month_rows("U01", A, [0.5, 1.0, 1.0]) + month_rows("U01", B, [1.0] * 3)), utf())
    v = view(fig, "utforare", MONTHS)
    assert v["month"].to_list() == MONTHS + ["Totalt"]
    total = v.filter(pl.col("month") == "Totalt").row(0, named=True)
    assert (total["beviljad_sek"], total["utford_sek"]) == (6 * 36_000, 36_000 * 5 + 18_000)
    assert view(fig, "brukare", MONTHS).height == 8 and view(fig, "insats", MONTHS).height == 4


def test_a_visit_with_two_insatser_counts_once_per_utforare_and_once_under_each_insats():
    # September: 10 visits at brukare A, each registered as RAM-tid|Dusch (counted under RAM-tid first)
    rows = [("2023-09", "U01", A, "RAM-tid", 36_000, 18_000, 10, 10), ("2023-09", "U01", A, "Dusch", 0, 18_000, 10, 0)]
    fig = Figures(tid(rows), utf())
    per_utforare = view(fig, "utforare", ["2023-09"]).filter(pl.col("month") == "2023-09")
    assert per_utforare["antal_besok"].to_list() == [10]
    per_insats = view(fig, "insats", ["2023-09"]).filter(pl.col("month") == "2023-09").sort("insats")
    assert per_insats["antal_besok"].to_list() == [10, 10]


@pytest.mark.parametrize("hits,need,expected", [
    ({"a", "b"}, 2, [["a", "b"]]), ({"a", "c"}, 2, []), ({"a", "b", "c"}, 2, [["a", "b", "c"]]),
    ({"a", "c"}, 1, [["a"], ["c"]]),
])
def test_runs_of_consecutive_months(hits, need, expected):
    assert _runs(["a", "b", "c"], hits, need) == expected


def test_verification_leaves_out_visits_outside_lov(tmp_path):
    """Natthjälp is outside LOV (basis none): its manual visit is in neither the time table nor
    the tag shares, so a provider's manual share is that of its LOV visits only."""
    from datetime import date

    from lovkorning.config.loaded import load
    from lovkorning.run.history import figures
    from lovkorning.core.period import Period
    from lovkorning.settle.month import settle_month
    from support.monthbuilder import BRUKARE_A, Month
    m = Month().utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.order("B2", BRUKARE_A, "U01", "Natthjälp", "600")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")
    m.visit(BRUKARE_A, "U01", "P2", "2023-09-04 23:00:00", 1800, "Natthjälp", metod_in="manuell", metod_ut="manuell",
            korrigerad="ja")
    m.event(BRUKARE_A, "U01", "P1", "2023-09-05 08:00:00", "avbojt", insatser="Natthjälp")
    cfg = load(m.write(tmp_path))
    fig = figures(settle_month(cfg, Period(2023, 9), date(2023, 10, 9)), cfg)
    row = fig.utforare.row(0, named=True)
    assert (row["besok"], row["sek"], row["sek_manuell"], row["avbojda"]) == (1, 3600, 0, 0)
