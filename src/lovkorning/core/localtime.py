"""Swedish local time for millions of timestamps at once.

Sweden changes clocks on the hour (02:00 ↔ 03:00 local, 01:00 UTC), so the offset from UTC is
the same for every second of an hour. Both conversions below look the time zone up once per
hour (a month has about 750) and apply the offset by arithmetic, instead of once per row. Hours where the offset is not constant (historic local mean time, should such a date
appear) are converted row by row, so the result is always exactly what polars' own conversion
gives.
"""

from __future__ import annotations

import polars as pl

TZ = "Europe/Stockholm"
HOUR_US = 3_600_000_000
SPAN_HOURS = 200_000         # about 23 years: look hours up by position in a table of the whole span


def _per_hour(hour: pl.Series, offsets) -> tuple[pl.Series, pl.Series]:
    """For each row's hour (an integer count of hours since 1970): the offset at the start of
    that hour, worked out once per hour by `offsets` (which gives it at an hour's first and last
    second) and looked up by position in a table covering every hour from the earliest to the
    latest (a gather), or, for a wide span (dates typed years off), once per distinct hour and
    looked up by value. Also the rows whose hour's offset is not constant (null at one end,
    say): those the caller converts exactly."""
    lo, hi = hour.min(), hour.max()
    if lo is None:
        return pl.repeat(None, hour.len(), dtype=pl.Int64, eager=True), pl.Series(dtype=pl.UInt32)
    table = hi - lo < SPAN_HOURS
    hours = pl.int_range(lo, hi + 1, dtype=pl.Int64, eager=True) if table else hour.unique().drop_nulls()
    first, last = offsets(hours)
    if table:
        per_row = _piecewise(hour, hours, first)
        if per_row is None:
            per_row = first.gather((hour - lo).cast(pl.UInt32))
    else:
        per_row = hour.replace_strict(hours, first, default=None, return_dtype=pl.Int64)
    odd = hours.filter(first.ne_missing(last))
    rows = hour.is_in(odd.implode()).arg_true() if odd.len() else pl.Series(dtype=pl.UInt32)
    return per_row, rows


RUNS = 8        # clock changes in a span that _piecewise compares with; more: a gather per row


def _piecewise(hour: pl.Series, hours: pl.Series, offset: pl.Series) -> pl.Series | None:
    """The offset of each row's hour from `offset` (one per hour of `hours`, consecutive) when it
    changes at most RUNS times: each row compared with the hours where it changes (a month has
    one or two offsets), several times faster than looking every row up in the table. None when
    it changes more often."""
    start = offset.ne_missing(offset.shift(1)).fill_null(True)
    if start.sum() > RUNS:
        return None
    at, value = hours.filter(start).to_list(), offset.filter(start).to_list()
    expr = pl.lit(value[-1], dtype=pl.Int64)
    for h, v in zip(reversed(at[1:]), reversed(value[:-1])):
        expr = pl.when(pl.lit(hour) < h).then(pl.lit(v, dtype=pl.Int64)).otherwise(expr)
    return pl.select(expr.alias(hour.name)).to_series()


def _offsets_utc(hours: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Offset (µs) of local time from UTC at the start and at the last second of each UTC hour."""
    def offset(start: pl.Series) -> pl.Series:
        utc = start.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        local = utc.dt.convert_time_zone(TZ).dt.replace_time_zone(None)
        return (local - utc.dt.replace_time_zone(None)).dt.total_microseconds()
    return offset(hours * HOUR_US), offset(hours * HOUR_US + HOUR_US - 1_000_000)


def _offsets_local(hours: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Offset (µs) of UTC from local time at the start and at the last second of each local hour
    (null where that local time does not exist or is ambiguous)."""
    def shift(start: pl.Series) -> pl.Series:
        local = start.cast(pl.Datetime("us"))
        utc = local.dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
        return (utc.dt.replace_time_zone(None) - local).dt.total_microseconds()
    return shift(hours * HOUR_US), shift(hours * HOUR_US + HOUR_US - 1_000_000)


def local_times(utc: pl.Series) -> pl.Series:
    """Swedish wall-clock time (naive) of each UTC timestamp (null stays null)."""
    us = utc.dt.epoch("us")
    first, rows = _per_hour(us // HOUR_US, _offsets_utc)
    out = (us + first).cast(pl.Datetime("us"))
    if rows.len():
        out = out.scatter(rows, utc.gather(rows).dt.convert_time_zone(TZ).dt.replace_time_zone(None))
    return out.alias(utc.name)


def local_dates(utc: pl.Series) -> pl.Series:
    """The Swedish calendar date of each UTC timestamp (null stays null)."""
    return local_times(utc).dt.date()


def local_to_utc(naive: pl.Series) -> pl.Series:
    """Swedish local times (naive) to UTC; null for a time that does not exist or is ambiguous on
    a daylight-saving day, as polars' replace_time_zone(ambiguous="null", non_existent="null")."""
    us = naive.dt.epoch("us")
    first, rows = _per_hour(us // HOUR_US, _offsets_local)
    out = (us + first).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if rows.len():
        exact = naive.gather(rows).dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
        out = out.scatter(rows, exact)
    return out.alias(naive.name)
