"""Daily time windows in Swedish local time: `["07:00", "22:30"]`, or across midnight
`["22:00", "07:00"]`.

A window is a list of intervals within a day, in seconds after local midnight. The overlap of a
visit [start, end) with a window is taken on the local days around the visit and measured in real
(UTC) time, so a visit on a daylight-saving night counts the hours that really passed.
"""

from __future__ import annotations

import polars as pl

from .localtime import TZ
DAY = 86_400
Intervals = list[tuple[int, int]]


def parse_clock(text: str) -> int:
    """'07:00' -> seconds after midnight; '24:00' allowed as the end of the day."""
    try:
        hh, mm = str(text).split(":")
        h, m = int(hh), int(mm)
    except ValueError:
        raise ValueError(f"'{text}' är inget klockslag (TT:MM)") from None
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"'{text}' är inget klockslag (TT:MM)")
    return h * 3600 + m * 60


def daily(window: tuple[str, str] | None) -> Intervals:
    """The intervals of a daily window; the whole day when there is none."""
    if window is None:
        return [(0, DAY)]
    a, b = parse_clock(window[0]), parse_clock(window[1])
    if a == b:
        return [(0, DAY)]
    return [(a, b)] if a < b else [(0, b), (a, DAY)]


def intersect(x: Intervals, y: Intervals) -> Intervals:
    out = [(max(a, c), min(b, d)) for a, b in x for c, d in y]
    return sorted((a, b) for a, b in out if a < b)


def _local_instant(day: pl.Expr, offset_days: int, seconds: int) -> pl.Expr:
    """Local wall-clock time `seconds` after midnight of day + offset_days, as a UTC instant.
    A wall time that does not exist (in the spring gap, 02:00–03:00) is the moment the clock
    jumps: the first instant it shows that time or later (03:00 CEST)."""
    naive = day.cast(pl.Datetime("us")) + pl.duration(days=offset_days, seconds=seconds)
    def local(e: pl.Expr) -> pl.Expr:
        return e.dt.replace_time_zone(TZ, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return pl.coalesce(local(naive), local(naive.dt.truncate("1h") + pl.duration(hours=1)))


def overlap_seconds(df: pl.DataFrame, start: str, end: str, day: str, intervals: Intervals) -> pl.Series:
    """Seconds of [start, end) (UTC instants) inside the daily intervals, on the local days
    day-1, day and day+1 (visits are at most a day long once capped). The windows' instants are
    worked out once per distinct day (a month has about 30) and joined to the rows."""
    if intervals == [(0, DAY)]:
        return df.select((pl.col(end) - pl.col(start)).dt.total_seconds().clip(lower_bound=0).cast(pl.Int64)).to_series()
    edges = [(k, a, b) for k in (-1, 0, 1) for a, b in intervals]      # window n opens at _a{n}, closes at _b{n}
    days = df.select(pl.col(day).unique().drop_nulls()).with_columns(
        [_local_instant(pl.col(day), k, a).alias(f"_a{n}") for n, (k, a, _) in enumerate(edges)]
        + [_local_instant(pl.col(day), k, b).alias(f"_b{n}") for n, (k, _, b) in enumerate(edges)])
    x = df.select(start, end, day).join(days, on=day, how="left", maintain_order="left")
    parts = [(pl.min_horizontal(pl.col(end), pl.col(f"_b{n}")) - pl.max_horizontal(pl.col(start), pl.col(f"_a{n}")))
             .dt.total_seconds().clip(lower_bound=0) for n in range(len(edges))]
    return x.select(pl.sum_horizontal(parts).cast(pl.Int64).alias("sekunder")).to_series()


def starts_inside(ts: str, intervals: Intervals) -> pl.Expr:
    """True when the local time of day of the instant lies inside the intervals."""
    if intervals == [(0, DAY)]:
        return pl.lit(True)
    local = pl.col(ts).dt.convert_time_zone(TZ)
    secs = local.dt.hour().cast(pl.Int64) * 3600 + local.dt.minute().cast(pl.Int64) * 60 + local.dt.second().cast(pl.Int64)
    return pl.any_horizontal([(secs >= a) & (secs < b) for a, b in intervals])
