"""Beviljad tid for the month, as the contract defines it, with worked examples."""

from datetime import date

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from lovkorning.settle.beviljad import beviljad_lines, merge_segments, order_findings, segments
from lovkorning.core.period import Period

SEP = Period(2023, 9)   # 30 days


def order(minuter_milli=600_000, per="manad", fran=date(2023, 8, 1), till=None, verkstalld=None, bid="B1", utf="U01",
          brukare="194001011230"):
    return dict(bestallning_id=bid, brukare_id=brukare, utforare_id=utf, insats="RAM-tid", minuter_milli=minuter_milli,
                per=per, giltig_fran=fran, giltig_till=till, verkstalld_fran=verkstalld or fran, zon="tätort",
                _fil="bestallningar.csv", _rad=2)


ORDER_SCHEMA = {"bestallning_id": pl.String, "brukare_id": pl.String, "utforare_id": pl.String, "insats": pl.String,
                "minuter_milli": pl.Int64, "per": pl.String, "giltig_fran": pl.Date, "giltig_till": pl.Date,
                "verkstalld_fran": pl.Date, "zon": pl.String, "_fil": pl.String, "_rad": pl.Int64}
PAUSE_SCHEMA = {"brukare_id": pl.String, "fran": pl.Date, "till": pl.Date, "orsak": pl.String, "utforare_id": pl.String}


def lines(orders, pauses=(), cuts=frozenset()):
    o = pl.DataFrame(list(orders), schema=ORDER_SCHEMA)
    p = pl.DataFrame(list(pauses), schema=PAUSE_SCHEMA)
    return beviljad_lines(o, p, SEP, set(cuts))


def test_whole_month_per_manad():
    r = lines([order(745_800)]).row(0, named=True)   # 745,8 min = 12,43 h: seed 001's ramtid
    assert (r["dagar"], r["beviljad_sek"], r["uppehall_sek"], r["beviljad_lov_sek"]) == (30, 44_748, 0, 44_748)


def test_per_vecka_is_pro_rata_by_days():
    # 210 min a week over 30 days = 210 × 30 / 7 = 900 min
    assert lines([order(210_000, "vecka")])["beviljad_sek"].to_list() == [54_000]


def test_per_dag():
    assert lines([order(30_000, "dag")])["beviljad_sek"].to_list() == [30 * 30 * 60]


def test_starts_mid_month_and_verkstalld_later():
    # valid from the 11th (20 days) but verkställd from the 16th (15 days): paid for 15 of 30 days
    r = lines([order(600_000, fran=date(2023, 9, 11), verkstalld=date(2023, 9, 16))]).row(0, named=True)
    assert (r["dagar"], r["beviljad_sek"]) == (15, 18_000)


def test_ends_mid_month():
    assert lines([order(600_000, till=date(2023, 9, 10))])["beviljad_sek"].to_list() == [12_000]


def test_uppehall_is_subtracted_and_columns_add_up():
    # sjukhus 5–9 September: 5 of 30 days; 600 min a month → 100 min of uppehåll
    pause = dict(brukare_id="194001011230", fran=date(2023, 9, 5), till=date(2023, 9, 9), orsak="sjukhus", utforare_id=None)
    r = lines([order()], [pause]).row(0, named=True)
    assert (r["beviljad_sek"], r["uppehall_sek"], r["beviljad_lov_sek"]) == (36_000, 6_000, 30_000)


def test_overlapping_uppehall_days_count_once_and_other_utforare_is_untouched():
    p1 = dict(brukare_id="194001011230", fran=date(2023, 9, 5), till=date(2023, 9, 9), orsak="sjukhus", utforare_id=None)
    p2 = dict(brukare_id="194001011230", fran=date(2023, 9, 8), till=date(2023, 9, 12), orsak="avbojt", utforare_id="U01")
    got = lines([order(), order(bid="B2", utf="U02")], [p1, p2]).select("bestallning_id", "uppehall_dagar")
    assert got.rows() == [("B1", 8), ("B2", 5)]


def test_rate_change_mid_month_splits_the_line():
    got = lines([order(600_000)], cuts={date(2023, 9, 16)})
    assert got.select("seg", "dagar", "beviljad_sek").rows() == [(0, 15, 18_000), (1, 15, 18_000)]


def test_parts_of_a_split_line_add_up_to_the_month_rounded_once():
    # 101 min a week: the month is 101 × 60 × 30 / 7 = 25 971,43 → 25 971 s; each half is 12 985,71 s.
    # Rounding each half would give 2 × 12 986 = 25 972; the halves get their floors (12 985) and the
    # one second left over goes to the larger remainder, the earlier part on a tie.
    got = lines([order(101_000, "vecka")], cuts={date(2023, 9, 16)})
    assert got.select("seg", "beviljad_sek", "beviljad_lov_sek").rows() == [(0, 12_986, 12_986), (1, 12_985, 12_985)]


def test_a_rule_regroups_the_lines_at_its_own_rate_changes():
    # the month is cut on the 10th and 16th (two rates); a rule whose rate changes only on the 16th
    # gets the same lines as if the 10th had never been cut
    pause = dict(brukare_id="194001011230", fran=date(2023, 9, 5), till=date(2023, 9, 12), orsak="sjukhus", utforare_id=None)
    cols = ["bestallning_id", "seg", "a", "b", "dagar", "uppehall_dagar", "beviljad_sek", "uppehall_sek", "beviljad_lov_sek"]
    fine = lines([order(101_000, "vecka"), order(745_800, bid="B2")], [pause], cuts={date(2023, 9, 10), date(2023, 9, 16)})
    own = lines([order(101_000, "vecka"), order(745_800, bid="B2")], [pause], cuts={date(2023, 9, 16)})
    assert merge_segments(fine, segments(SEP, {date(2023, 9, 16)})).select(cols).rows() == own.select(cols).rows()


def test_not_verkstalld_and_outside_the_month_are_findings():
    o = pl.DataFrame([order(bid="B1"), order(bid="B2", verkstalld=date(2099, 1, 1)) | {"verkstalld_fran": None},
                      order(bid="B3", fran=date(2023, 6, 1), till=date(2023, 8, 31))], schema=ORDER_SCHEMA)
    f = order_findings(o, SEP)
    assert sorted(f.select("kod").to_series().to_list()) == ["ej-verkstalld", "utanfor-perioden"]
    assert lines([order(bid="B2") | {"verkstalld_fran": None}]).height == 0


def test_segments_cover_the_month():
    s = segments(SEP, {date(2023, 9, 16), date(2023, 10, 1), date(2023, 1, 1)})
    assert s.rows() == [(0, date(2023, 9, 1), date(2023, 9, 15)), (1, date(2023, 9, 16), date(2023, 9, 30))]


@given(st.integers(0, 100_000_000), st.sampled_from(["dag", "vecka", "manad"]),
       st.sets(st.dates(date(2023, 9, 2), date(2023, 9, 30)), max_size=4))
def test_splitting_at_rate_changes_keeps_the_month_whole(milli, per, cuts):
    pause = dict(brukare_id="194001011230", fran=date(2023, 9, 5), till=date(2023, 9, 9), orsak="sjukhus", utforare_id=None)
    cols = ["beviljad_sek", "uppehall_sek", "beviljad_lov_sek"]
    whole = lines([order(milli, per)], [pause]).select(cols).row(0)
    parts = lines([order(milli, per)], [pause], cuts=cuts).select(cols)
    assert parts.sum().row(0) == whole      # rounded once for the month, then shared out
    assert parts["beviljad_lov_sek"].min() >= 0 and parts["uppehall_sek"].min() >= 0
