"""Pairing tag events into visits, and each visit avvikelse, as small worked examples.

Each case is a few tag events at one brukare; the expected findings are (code, row) pairs: row 2
is the first data row of taggningar.csv.
"""

from datetime import date

import polars as pl
import pytest

from lovkorning.config.loaded import load
from lovkorning.read.indata import read_month
from lovkorning.core.period import Period
from lovkorning.visits.pairing import pair_visits
from support.monthbuilder import BRUKARE_A, Month

SEP = Period(2023, 9)


def pair(tmp_path, build, **visits_cfg):
    m = Month().utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    build(m)
    cfg = load(m.write(tmp_path))
    if visits_cfg:
        cfg.cfg.__dict__["visits"] = cfg.cfg.visits.model_copy(update=visits_cfg)
    ind = read_month(cfg, SEP)
    return pair_visits(ind.taggningar, cfg.cfg.visits, SEP)


def codes(v):
    return sorted(v.avvikelser.select("kod", "rad").iter_rows())


def test_in_and_next_out_make_one_visit(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 1800, "RAM-tid"))
    assert v.besok.select("in_rad", "ut_rad", "sekunder", "raknade_sek", "giltig").row(0) == (2, 3, 1800, 1800, True)
    assert codes(v) == []


def test_a_declined_visit_given_twice_is_one_declined_visit_and_a_duplicate(tmp_path):
    def build(m):
        m.event(BRUKARE_A, "U01", "P1", "2023-09-10 08:00:00", "avbojt", insatser="RAM-tid")   # row 2
        m.event(BRUKARE_A, "U01", "P1", "2023-09-10 08:00:00", "avbojt", insatser="RAM-tid")   # row 3: the same again
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-11 08:00:00", 1800, "RAM-tid")            # rows 4-5
        m.event(BRUKARE_A, "U01", "P1", "2023-09-12 08:00:00", "avbojt", insatser="RAM-tid", hid="H0000004")  # row 6
    v = pair(tmp_path, build)
    assert v.avbojt["_rad"].to_list() == [2]
    assert codes(v) == [("avbojt-besok", 2), ("dubbel-handelse", 3), ("dubbel-handelse", 6)]   # row 6 repeats row 5's id
    assert v.besok.height == 1


def test_a_short_visit_says_how_long_it_lasted_exactly(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 59, "RAM-tid"))
    msg = v.avvikelser.filter(pl.col("kod") == "kort-besok")["meddelande"].to_list()
    assert msg == ["Besöket varade 0 min 59 s, kortare än 1 min; räknas inte."]


def test_events_in_any_order_are_sorted_by_time(tmp_path):
    def build(m):
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:30:00", "ut", insatser="RAM-tid")
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", "in")
    v = pair(tmp_path, build)
    assert v.besok.select("in_rad", "ut_rad", "sekunder").row(0) == (3, 2, 1800)


def test_missing_check_out_and_check_in(tmp_path):
    def build(m):
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", "in")          # row 2: never closed
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 12:00:00", 900, "RAM-tid")  # rows 3-4
        m.event(BRUKARE_A, "U01", "P1", "2023-09-05 18:00:00", "ut", insatser="RAM-tid")  # row 5
    v = pair(tmp_path, build)
    assert codes(v) == [("saknar-incheckning", 5), ("saknar-utcheckning", 2)]
    assert v.besok.height == 1


def test_check_out_before_check_in_names_both_rows(tmp_path):
    def build(m):
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", "ut", insatser="RAM-tid")
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:30:00", "in")
    v = pair(tmp_path, build)
    assert codes(v) == [("ut-fore-in", 2), ("ut-fore-in", 3)]
    assert v.besok.height == 0


def test_duplicate_event_is_dropped_once(tmp_path):
    def build(m):
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 900, "RAM-tid")
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:15:00", "ut", insatser="RAM-tid")  # same again, new id
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 09:00:00", "in", hid="H0000001")       # repeated id
    v = pair(tmp_path, build)
    assert codes(v) == [("dubbel-handelse", 4), ("dubbel-handelse", 5)]
    assert v.besok.height == 1


def test_short_visit_not_counted_long_visit_capped(tmp_path):
    def build(m):
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 20, "RAM-tid")
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-05 08:00:00", 9 * 3600, "RAM-tid")
    v = pair(tmp_path, build)
    assert codes(v) == [("kort-besok", 2), ("langt-besok", 4)]
    assert v.besok["raknade_sek"].to_list() == [0, 480 * 60]


@pytest.mark.parametrize("require,metod_in,metod_ut,korr,counted", [
    ("one", "manuell", "tagg", "nej", True),
    ("one", "manuell", "manuell", "nej", False),
    ("one", "manuell", "manuell", "ja", True),      # 002 svar 12: corrections are paid
    ("both", "manuell", "tagg", "nej", False),
    ("both", "tagg", "tagg", "nej", True),
    ("none", "manuell", "manuell", "nej", True),
])
def test_require_tag(tmp_path, require, metod_in, metod_ut, korr, counted):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 600, "RAM-tid",
                                         metod_in=metod_in, metod_ut=metod_ut, korrigerad=korr), require_tag=require)
    assert v.besok["giltig"].to_list() == [counted]
    assert codes(v) == ([] if counted else [("saknar-tagg", 2)])


def test_visit_over_midnight_belongs_to_its_check_in_day(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-30 23:40:00", 45 * 60, "RAM-tid"))
    assert v.besok.select("datum", "raknade_sek").row(0) == (date(2023, 9, 30), 2700)
    assert codes(v) == []


def test_visit_starting_in_previous_month_is_outside(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-08-31 20:00:00", 1800, "RAM-tid"))
    assert codes(v) == [("utanfor-perioden", 2), ("utanfor-perioden", 3)]
    assert v.besok_insats.height == 0


def test_visit_over_the_autumn_clock_change_counts_real_time(tmp_path):
    # 2023-10-29 02:00 CEST → 02:00 CET: a visit 01:30 CEST to 02:30 CET lasts two real hours
    m_month = Period(2023, 10)
    m = Month(month="2023-10").utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.event(BRUKARE_A, "U01", "P1", "2023-10-29 01:30:00", "in")
    m.event(BRUKARE_A, "U01", "P1", "2023-10-29T02:30:00+01:00", "ut", insatser="RAM-tid")
    cfg = load(m.write(tmp_path))
    v = pair_visits(read_month(cfg, m_month).taggningar, cfg.cfg.visits, m_month)
    assert v.besok["sekunder"].to_list() == [7200]


def test_declined_visit_is_recorded(tmp_path):
    v = pair(tmp_path, lambda m: m.event(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", "avbojt", insatser="RAM-tid"))
    assert codes(v) == [("avbojt-besok", 2)] and v.avbojt.height == 1


def test_visit_without_insats_does_not_count(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 600, ""))
    assert codes(v) == [("besok-utan-insats", 2)]


def test_time_of_a_visit_with_two_insatser_is_split(tmp_path):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 601, "Avlösning|Ledsagning"))
    assert sorted(v.besok_insats.select("insats", "sek").iter_rows()) == [("Avlösning", 301), ("Ledsagning", 300)]


def test_every_event_is_accounted_for(tmp_path):
    def build(m):
        m.event(BRUKARE_A, "U01", "P1", "2023-09-04 07:00:00", "in")
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 900, "RAM-tid")
        m.visit(BRUKARE_A, "U01", "P2", "2023-09-04 08:00:00", 900, "RAM-tid")
        m.event(BRUKARE_A, "U01", "P2", "2023-09-04 10:00:00", "ut", insatser="RAM-tid")
        m.event(BRUKARE_A, "U01", "P2", "2023-09-04 10:00:00", "ut", insatser="RAM-tid")
        m.event(BRUKARE_A, "U01", "P3", "2023-09-04 10:00:00", "avbojt", insatser="RAM-tid")
    v = pair(tmp_path, build)
    in_visits = set(v.besok["in_rad"].to_list()) | set(v.besok["ut_rad"].to_list())
    event_codes = ["dubbel-handelse", "saknar-utcheckning", "saknar-incheckning", "ut-fore-in", "avbojt-besok"]
    found = set(v.avvikelser.filter(pl.col("kod").is_in(event_codes))["rad"].to_list())
    assert in_visits | found == set(range(2, 10)) and not (in_visits & found)


def test_one_staff_member_cannot_be_at_two_brukare_at_once(tmp_path):
    from support.monthbuilder import BRUKARE_B
    def build(m):
        m.order("B2", BRUKARE_B, "U01", "RAM-tid", "600")
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")   # forgot to check out until 09:00
        m.visit(BRUKARE_B, "U01", "P1", "2023-09-04 08:20:00", 1200, "RAM-tid")   # but checked in at B at 08:20
    v = pair(tmp_path, build)
    assert codes(v) == [("samtidiga-besok", 2)]
    assert v.besok.sort("in_rad")["raknade_sek"].to_list() == [1200, 1200]


@pytest.mark.parametrize("elsewhere", ["a visit without insats", "a check-in never closed", "a visit next month"])
def test_any_check_in_elsewhere_ends_the_open_visit(tmp_path, elsewhere):
    """A check-in is presence whether or not its own visit counts: P1 is at B from 08:20."""
    from support.monthbuilder import BRUKARE_B
    def build(m):
        m.order("B2", BRUKARE_B, "U01", "RAM-tid", "600")
        if elsewhere == "a visit next month":       # over midnight into October: checked in at B at 00:20
            m.visit(BRUKARE_A, "U01", "P1", "2023-09-30 23:40:00", 3600, "RAM-tid")
            m.visit(BRUKARE_B, "U01", "P1", "2023-10-01 00:20:00", 600, "RAM-tid")
            return
        m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")          # rows 2-3
        if elsewhere == "a visit without insats":
            m.visit(BRUKARE_B, "U01", "P1", "2023-09-04 08:20:00", 600, "")
        else:
            m.event(BRUKARE_B, "U01", "P1", "2023-09-04 08:20:00", "in")
    v = pair(tmp_path, build)
    a = v.besok.filter(pl.col("brukare_id") == v.besok.sort("in_rad")["brukare_id"][0]).sort("in_rad")
    assert a["raknade_sek"][0] == (2400 if elsewhere == "a visit next month" else 1200) and a["_samtidig"][0]
    assert ("samtidiga-besok", 2) in codes(v)


@pytest.mark.parametrize("dubbel,counted,found", [("nej", [1800, 1200], [("dubbelbemanning-saknas", 4)]),
                                                  ("ja", [1800, 1800], [])])
def test_two_staff_at_once_count_twice_only_with_dubbelbemanning(tmp_path, dubbel, counted, found):
    m = Month().utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600", dubbel=dubbel)
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 1800, "RAM-tid")
    m.visit(BRUKARE_A, "U01", "P2", "2023-09-04 08:20:00", 1800, "RAM-tid")   # overlaps 08:20–08:30
    cfg = load(m.write(tmp_path))
    from lovkorning.visits.checks import double_staffing
    ind = read_month(cfg, SEP)
    v = pair_visits(ind.taggningar, cfg.cfg.visits, SEP, double_staffing(ind.bestallningar, SEP))
    assert v.besok.sort("in_rad")["raknade_sek"].to_list() == counted
    assert codes(v) == found


@pytest.mark.parametrize("start,seconds,counted", [
    ("2023-09-04 06:30:00", 3600, 1800),     # 06:30–07:30: the half hour before 07:00 is cut
    ("2023-09-04 22:00:00", 3600, 1800),     # 22:00–23:00: after 22:30 is cut
    ("2023-09-04 23:00:00", 1800, 0),        # wholly outside: counts nothing
    ("2023-09-04 21:00:00", 12 * 3600, 5400 + 0),   # over midnight to 09:00: 21:00–22:30 (and 07:00–09:00 next day)
])
def test_window_cuts_utford_time_outside_07_2230(tmp_path, start, seconds, counted):
    v = pair(tmp_path, lambda m: m.visit(BRUKARE_A, "U01", "P1", start, seconds, "RAM-tid"),
             window=("07:00", "22:30"), max_minutes=24 * 60)
    expected = counted if seconds < 12 * 3600 else 5400 + 7200
    assert v.besok["raknade_sek"].to_list() == [expected]


def test_window_on_the_spring_clock_change(tmp_path):
    # 2024-03-31: 02:00 → 03:00. A window 00:00–06:00 is only five real hours that night.
    per = Period(2024, 3)
    m = Month(month="2024-03").utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.visit(BRUKARE_A, "U01", "P1", "2024-03-31 00:00:00", 5 * 3600, "RAM-tid")   # real 5 h, 00:00–06:00 local
    cfg = load(m.write(tmp_path))
    cfg.cfg.__dict__["visits"] = cfg.cfg.visits.model_copy(update={"window": ("00:00", "04:00")})
    v = pair_visits(read_month(cfg, per).taggningar, cfg.cfg.visits, per)
    assert v.besok["raknade_sek"].to_list() == [3 * 3600]   # 00:00–04:00 local is three real hours


def test_a_window_edge_in_the_spring_gap_opens_when_the_clock_jumps(tmp_path):
    # 2024-03-31: no 02:30 that night; the clock first shows a time after 02:30 at 03:00 (01:00 UTC)
    per = Period(2024, 3)
    m = Month(month="2024-03").utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.visit(BRUKARE_A, "U01", "P1", "2024-03-31 01:30:00", 2 * 3600, "RAM-tid")   # 01:30 CET to 03:30 CEST: 1 real h
    cfg = load(m.write(tmp_path))
    cfg.cfg.__dict__["visits"] = cfg.cfg.visits.model_copy(update={"window": ("02:30", "23:00")})
    v = pair_visits(read_month(cfg, per).taggningar, cfg.cfg.visits, per)
    assert v.besok["raknade_sek"].to_list() == [1800]       # 03:00–03:30 CEST


# ---------------------------------------------------------------- the packed sort key

from datetime import datetime, timedelta, timezone  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lovkorning.visits.sortkeys import packing  # noqa: E402

EPOCH = datetime(2023, 9, 1, tzinfo=timezone.utc)
OFFSETS = st.one_of(st.integers(-3 * 86_400, 40 * 86_400).map(lambda s: s * 1_000_000),     # a month, seconds
                    st.integers(-6 * 10**16, 10**17),                                        # ages apart, µs
                    st.integers(0, 86_400 * 10**6))                                           # sub-second


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(OFFSETS, st.booleans(), st.one_of(st.integers(0, 5_000_000), st.integers(0, 2**40)),
                          st.one_of(st.integers(0, 3), st.integers(0, 2**31))),
                min_size=1, max_size=40))
def test_the_packed_time_key_sorts_as_group_then_time_then_flag_then_row(rows):
    df = pl.DataFrame({"t": [EPOCH + timedelta(microseconds=us) for us, *_ in rows],
                       "flag": [r[1] for r in rows], "rad": [r[2] for r in rows], "grupp": [r[3] for r in rows]})

    def time_keys(df: pl.DataFrame, *then: str, before: tuple[str, ...] = ()) -> list:
        """The packed key where the columns pack, the columns themselves otherwise."""
        p = packing(df, "t", *then, before=before)
        return [p.key()] if p is not None else [*before, "t", *then]
    packed = df.select(pl.arg_sort_by(*time_keys(df, "flag", "rad"))).to_series()
    plain = df.select(pl.arg_sort_by("t", "flag", "rad", maintain_order=True)).to_series()
    assert df[packed].rows() == df[plain].rows()
    packed = df.sort(time_keys(df, "flag", before=("grupp",)), maintain_order=True)
    assert packed.rows() == df.sort("grupp", "t", "flag", maintain_order=True).rows()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.one_of(st.integers(0, 5), st.integers(-86_400, 40 * 86_400)),
                          st.sampled_from([0, 1, 10**6 // 2])), min_size=1, max_size=40, unique_by=lambda r: id(r)),
       st.randoms())
def test_visit_order_with_ties_broken_by_line(rows, rnd):
    """Sorting by one packed key and putting equal keys in line order gives the plain sort."""
    lines = list(range(2, len(rows) + 2))
    rnd.shuffle(lines)
    df = pl.DataFrame({"g": [r[0] for r in rows],
                       "t": [EPOCH + timedelta(seconds=r[1], microseconds=r[2]) for r in rows], "rad": lines})
    from lovkorning.visits.sortkeys import sort_order
    got = df[sort_order(df, "t", "rad", before=("g",))]
    assert got.rows() == df.sort("g", "t", "rad").rows()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(-86_400 * 10**6, 40 * 86_400 * 10**6)), min_size=1, max_size=40))
def test_latest_earlier_time_per_group_as_a_window_gives_it(rows):
    from lovkorning.visits.sortkeys import latest_before
    rows = sorted(rows, key=lambda r: r[0])       # a group's rows together, times in any order
    df = pl.DataFrame({"g": [g for g, _ in rows],
                       "t": [EPOCH + timedelta(microseconds=us) for _, us in rows]})
    window = df.select(pl.when(pl.col("g") == pl.col("g").shift(1)).then(
        pl.col("t").cum_max().shift(1).over("g"))).to_series()
    assert latest_before(df, "g", "t").equals(window)


MONTH_SECONDS = st.integers(-3 * 86_400, 40 * 86_400).map(lambda s: s * 1_000_000)


@settings(max_examples=200, deadline=None)
@given(st.booleans().flatmap(lambda month: st.lists(st.tuples(
    st.integers(0, 3), st.one_of(st.integers(0, 3), st.integers(0, 2**20)), MONTH_SECONDS if month else OFFSETS,
    st.booleans()), min_size=1, max_size=40)), st.sampled_from([None, "UTC", "Europe/Stockholm"]))
def test_columns_read_back_from_the_sorted_keys_are_the_columns_themselves(rows, zone):
    """Whether the key packs (whole seconds) or not (a fraction, ages apart): the columns a time
    order gives back are those of its rows, types and all; the leading part of a packed key is
    equal exactly where its columns are."""
    from lovkorning.visits.sortkeys import time_order
    df = pl.DataFrame({"g": pl.Series([r[0] for r in rows], dtype=pl.UInt64),
                       "h": pl.Series([r[1] for r in rows], dtype=pl.UInt32),
                       "t": [EPOCH + timedelta(microseconds=r[2]) for r in rows], "flag": [r[3] for r in rows]}
                      ).with_columns(pl.col("t").dt.convert_time_zone(zone) if zone else pl.col("t").dt.replace_time_zone(None),
                                     pl.int_range(pl.len(), dtype=pl.UInt32).alias("rad"))
    order = time_order(df, "t", "rad", before=("g", "h"), then=("flag",))
    expected = df[order.rows]
    assert expected.rows() == df.sort("g", "h", "t", "flag", "rad").rows()
    got = order.columns(df, ["t", "g", "flag", "h", "rad"])
    assert got.equals(expected.select("t", "g", "flag", "h", "rad"))
    if order.packing is not None:
        pair = pl.select(order.packing.leading(pl.lit(order.keys), "h")).to_series()
        same = expected.select((pl.col("g") == pl.col("g").shift(1)) & (pl.col("h") == pl.col("h").shift(1))).to_series()
        assert (pair == pair.shift(1)).equals(same, check_names=False)
