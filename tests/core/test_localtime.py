"""Swedish local time, looked up once per hour: always what polars' own conversion gives,
daylight-saving nights and historic local mean time included."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from lovkorning.core.localtime import TZ, local_dates, local_times, local_to_utc

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
    naive = pl.Series([*times, *NEAR_NIGHTS, None], dtype=pl.Datetime("us"))
    expected = naive.dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
    assert local_to_utc(naive).equals(expected)
    utc = pl.Series([*times, *(t - timedelta(hours=1) for t in NEAR_NIGHTS), None],
                    dtype=pl.Datetime("us")).dt.replace_time_zone("UTC")
    local = utc.dt.convert_time_zone(TZ)
    assert local_times(utc).equals(local.dt.replace_time_zone(None))
    assert local_dates(utc).equals(local.dt.date())


def test_only_missing_times():
    assert local_to_utc(pl.Series([None, None], dtype=pl.Datetime("us"))).null_count() == 2
    assert local_dates(pl.Series([None], dtype=pl.Datetime("us", "UTC"))).null_count() == 1
