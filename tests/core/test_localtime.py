"""Swedish local time, looked up once per hour: always what polars' own conversion gives,
daylight-saving nights and historic local mean time included."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lovkorning.core.localtime import TZ, _offsets_local, _piecewise, local_dates, local_times, local_to_utc

DST_NIGHTS = [datetime(y, m, d, h, mi, s) for y, m, d in ((2023, 3, 26), (2023, 10, 29), (1980, 4, 6), (1980, 9, 28))
              for h in range(0, 5) for mi in (0, 30, 59) for s in (0, 59)]
INSTANTS = st.datetimes(datetime(1850, 1, 1), datetime(2100, 1, 1))


@settings(max_examples=50, deadline=None)
@given(st.lists(INSTANTS, max_size=200))
def test_local_wall_time_to_utc_as_polars_does_it(times):
    naive = pl.Series([*times, *DST_NIGHTS, None, datetime(1900, 1, 1), datetime(1879, 1, 1, 0, 5)],
                      dtype=pl.Datetime("us"))
    expected = naive.dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
    assert local_to_utc(naive).equals(expected)


@settings(max_examples=50, deadline=None)
@given(st.lists(INSTANTS, max_size=200))
def test_utc_to_local_wall_time_and_date_as_polars_does_it(times):
    utc = pl.Series([*times, *(t - timedelta(hours=1) for t in DST_NIGHTS), None],
                    dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")
    local = utc.dt.convert_time_zone(TZ)
    assert local_times(utc).equals(local.dt.replace_time_zone(None))
    assert local_dates(utc).equals(local.dt.date())


NEAR = st.datetimes(datetime(2023, 1, 1), datetime(2024, 12, 31))       # a short span: the hour table
NEAR_NIGHTS = [t for t in DST_NIGHTS if t.year == 2023]


@settings(max_examples=50, deadline=None)
@given(st.lists(NEAR, max_size=200))
def test_a_short_span_looked_up_by_position_gives_the_same(times):
    assert_both_ways_as_polars(times, NEAR_NIGHTS)


def assert_both_ways_as_polars(times: list[datetime], nights: list[datetime]) -> None:
    """`times` and `nights` as wall-clock times to UTC, and (an hour earlier) as UTC instants to
    wall-clock times and dates: what polars' own conversion gives."""
    naive = pl.Series([*times, *nights, None], dtype=pl.Datetime("us"))
    expected = naive.dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
    assert local_to_utc(naive).equals(expected)
    utc = pl.Series([*times, *(t - timedelta(hours=1) for t in nights), None],
                    dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")
    local = utc.dt.convert_time_zone(TZ)
    assert local_times(utc).equals(local.dt.replace_time_zone(None))
    assert local_dates(utc).equals(local.dt.date())


def test_only_missing_times():
    assert local_to_utc(pl.Series([None, None], dtype=pl.Datetime("us"))).null_count() == 2
    assert local_dates(pl.Series([None], dtype=pl.Datetime("us", "UTC"))).null_count() == 1


MONTHS = st.datetimes(datetime(2023, 3, 1), datetime(2023, 4, 30)) | st.datetimes(datetime(2023, 10, 1),
                                                                                   datetime(2023, 11, 30))


@settings(max_examples=50, deadline=None)
@given(st.lists(MONTHS, min_size=1, max_size=200), st.booleans())
def test_a_month_with_its_clock_change_compared_with_the_change_hours(times, spring):
    # a settlement month's span: the offset changes once or twice (the hour that does not exist
    # or is ambiguous in between), so each row is compared with those hours, not looked up
    night = NEAR_NIGHTS[:len(NEAR_NIGHTS) // 2] if spring else NEAR_NIGHTS[len(NEAR_NIGHTS) // 2:]
    assert_both_ways_as_polars(times, night)


def test_a_month_takes_the_comparison_and_many_changes_the_table():
    def hours(start: datetime, n: int) -> pl.Series:
        first = int(start.timestamp()) // 3600
        return pl.int_range(first, first + n, dtype=pl.Int64, eager=True)
    march = hours(datetime(2023, 3, 1), 31 * 24)
    first, _ = _offsets_local(march)
    assert first.null_count() == 1                      # 02:00 on 26 March does not exist
    rows = pl.Series([march[0], march[-1], march[600]])
    assert _piecewise(rows, march, first).equals(first.gather([0, march.len() - 1, 600]), check_names=False)
    years = hours(datetime(2019, 1, 1), 5 * 365 * 24)   # ten clock changes: more than RUNS
    assert _piecewise(years.head(3), years, _offsets_local(years)[0]) is None
