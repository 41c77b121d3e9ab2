"""Sort keys and gathers for millions of tag events: integer keys packed for one arg sort, ties
broken by value, values gathered back by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ..core.codes import by_code_expr, dictionary
from ..core.columnar import on_every_core


def code(col: str) -> pl.Expr:
    return pl.col(col).to_physical().cast(pl.UInt64)


def code_pair(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """One integer per pair of dictionary codes (each below 2**32): exact."""
    return a * (1 << 32) + b


def lexical_rank(df: pl.DataFrame, col: str, rows: pl.Series) -> pl.Expr:
    """For the rows `rows` of `df`'s Categorical column `col`: each value's place in text order,
    as an integer (sorting by it sorts by the text), ranked once over the column's dictionary and
    given to the rows by code. An expression over `df`, so that several run side by side in one
    select."""
    return by_code_expr(dictionary(df.get_column(col)).rank("dense").cast(pl.UInt32), col, rows)


def gather(df: pl.DataFrame, rows: pl.Series, cols: list[str]) -> pl.DataFrame:
    return df.select([pl.col(c).gather(pl.lit(rows)) for c in cols]) if rows.len() else df.select(cols).clear()


@dataclass(frozen=True)
class Packing:
    """(*before, time, *then) packed into one integer (`key`): each column's bits, highest first,
    the time as whole seconds from `lo` (µs since 1970). Each column can be read back from the
    key exactly (`column`)."""
    names: tuple[str, ...]          # before…, time, then…
    widths: tuple[int, ...]
    time: str
    lo: int
    dtypes: dict[str, pl.DataType]

    def key(self) -> pl.Expr:
        key = pl.lit(0, dtype=pl.Int64)
        for name, width in zip(self.names, self.widths):
            part = (pl.col(name).dt.epoch("us") - self.lo) // 1_000_000 if name == self.time else pl.col(name).cast(pl.Int64)
            key = key * (1 << width) + part
        return key

    def column(self, key: pl.Expr, name: str) -> pl.Expr:
        """Column `name` of the row whose key is `key`, as it was (same type)."""
        at = self.names.index(name)
        bits = (key // (1 << sum(self.widths[at + 1:]))) % (1 << self.widths[at])
        if name != self.time:
            return bits.cast(self.dtypes[name]).alias(name)
        # epoch microseconds cast straight to the column's type (a time zone only labels them)
        return (bits * 1_000_000 + self.lo).cast(pl.Datetime("us", self.dtypes[name].time_zone)).cast(
            self.dtypes[name]).alias(name)

    def leading(self, key: pl.Expr, last: str) -> pl.Expr:
        """One integer for the key's columns up to and including `last`: equal exactly where
        all of them are."""
        return key // (1 << sum(self.widths[self.names.index(last) + 1:]))


def packing(df: pl.DataFrame, time: str, *then: str, before: tuple[str, ...] = ()) -> Packing | None:
    """How (*before, time, *then) pack into one integer (each `before` column's bits, then seconds
    from the earliest time, then each `then` column's bits): when the times are whole seconds and
    everything fits in 63 bits, as it does for a month. (`before`, `then`: non-negative integers
    or flags.) None otherwise."""
    us = pl.col(time).dt.epoch("us")
    names = (*before, *then)
    if any(df.get_column(c).null_count() for c in (time, *names)):
        return None
    signed = [pl.col(c) for c in names if df.schema[c].is_signed_integer()]
    stats = df.select((us % 1_000_000 == 0).all().alias("w"), us.min().alias("lo"), us.max().alias("hi"),
                      pl.min_horizontal(pl.lit(0), *(e.min() for e in signed)).alias("neg"),
                      *(pl.col(c).max().cast(pl.Int64).alias(f"m{i}") for i, c in enumerate(names))).row(0)
    whole, lo, hi, neg, *maxes = stats
    if not whole or neg < 0 or lo is None:
        return None
    widths = [max(int(m or 0), 1).bit_length() for m in maxes]
    seconds = max((hi - lo) // 1_000_000, 1).bit_length()
    if seconds + sum(widths) > 63:
        return None
    return Packing((*before, time, *then), (*widths[:len(before)], seconds, *widths[len(before):]), time, lo,
                   {c: df.schema[c] for c in (time, *names)})


def _unpacked_keys(time: str, then: tuple[str, ...], before: tuple[str, ...]) -> list[pl.Expr]:
    """The sort keys (*before, time, *then) as columns, where they do not pack into one integer
    (one integer sorts several times faster than a list of columns)."""
    return [*(pl.col(c).cast(pl.Int64) for c in before), pl.col(time).dt.epoch("us"),
            *(pl.col(c).cast(pl.Int64) for c in then)]


def arg_sort_ties(key: pl.Series, then: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(row order by `key` (non-negative), the keys in that order); rows with equal keys in `then`
    order: the rows sorted by key, then only the runs of equal keys (few: two visits at one
    brukare in the same second) put in order by `then`, in place. (numpy sorts packed integers
    by value several times faster, but importing it costs a dry run more than that saves:
    measured.)"""
    idx, k = sorted_rows(key)
    tie = ((k == k.shift(1)) | (k == k.shift(-1))).fill_null(False)
    if not tie.any():
        return idx, k
    pos = tie.arg_true()
    runs = pl.DataFrame({"k": k.gather(pos), "t": then.gather(idx.gather(pos)), "i": idx.gather(pos)}).sort("k", "t")
    return idx.scatter(pos, runs["i"]), k


def sorted_rows(key: pl.Series) -> tuple[pl.Series, pl.Series]:
    """(row numbers in key order, the keys in that order). When key and row number fit in 64
    bits together, the row number is packed below the key and the packed integers sorted as
    values: a plain sort of integers takes about half the time of an arg sort, which moves (row,
    key) pairs (measured on 3 million keys of 41 bits: 0.25 s against 0.43 s; packed into 128
    bits it saves nothing). Otherwise an arg sort (equal keys then in no given order)."""
    n = key.len()
    bits = max(n - 1, 1).bit_length()
    if not n or key.null_count() or key.min() < 0 or int(key.max()).bit_length() + bits > 64:
        idx = key.arg_sort()
        return idx, key.gather(idx)
    shift = pl.lit(1 << bits, dtype=pl.UInt64)
    packed = on_every_core(key.to_frame("k"), pl.col("k").cast(pl.UInt64) * shift + pl.int_range(pl.len(), dtype=pl.UInt64)
                           ).to_series().sort()
    out = pl.select((pl.lit(packed) % shift).cast(pl.UInt32).alias("i"),
                    (pl.lit(packed) // shift).cast(key.dtype).alias("k"))
    return out["i"], out["k"]


@dataclass(frozen=True)
class TimeOrder:
    """A frame's rows in time order (time_order), and their packed keys when they are packed."""
    rows: pl.Series                 # row numbers in order
    keys: pl.Series | None          # the packed key of each, in the same order
    packing: Packing | None

    def head(self, n: int) -> TimeOrder:
        return TimeOrder(self.rows.head(n), None if self.keys is None else self.keys.head(n), self.packing)

    def columns(self, df: pl.DataFrame, cols: list[str]) -> pl.DataFrame:
        """`df`'s columns `cols` in this order: read back from the packed keys where they are in
        them (a few integer operations per row), gathered by row otherwise (a gather of millions
        of rows in no order misses the cache on almost every row)."""
        packed = [c for c in cols if self.packing is not None and c in self.packing.names]
        rest = gather(df, self.rows, [c for c in cols if c not in packed])
        if not packed:
            return rest
        key = pl.col("_key")
        read = pl.DataFrame({"_key": self.keys}).select(self.packing.column(key, c) for c in packed)
        return pl.concat([rest, read], how="horizontal").select(cols)


def time_order(df: pl.DataFrame, time: str, last: str, before: tuple[str, ...] = (),
               then: tuple[str, ...] = ()) -> TimeOrder:
    """`df`'s rows in the order (*before, time, *then, last); `last` is unique (a line or row
    number)."""
    p = packing(df, time, *then, before=before)
    if p is None:
        return TimeOrder(df.select(pl.arg_sort_by(*_unpacked_keys(time, then, before), pl.col(last))).to_series(),
                         None, None)
    rows, keys = arg_sort_ties(on_every_core(df, p.key()).to_series(), df.get_column(last))
    return TimeOrder(rows, keys, p)


def sort_order(df: pl.DataFrame, time: str, last: str, before: tuple[str, ...] = (),
               then: tuple[str, ...] = ()) -> pl.Series:
    """Row numbers of `df` in the order (*before, time, *then, last); `last` is unique (a line or
    row number)."""
    return time_order(df, time, last, before, then).rows


def first_ids(ids: pl.Series) -> pl.Series:
    """Per row of `ids` (in file order): True for the first of each handelse_id. Hashes find the
    candidates; only rows whose hash repeats are compared as text, so a hash collision cannot
    drop a row."""
    h = ids.hash()
    s = h.sort()
    repeated = s.filter(s == s.shift(1))
    first = pl.repeat(True, h.len(), eager=True)
    if repeated.is_empty():
        return first
    at = h.is_in(repeated.implode()).arg_true()
    return first.scatter(at, ids.gather(at).is_first_distinct())


def scattered(n: int, rows: pl.Series, values: pl.Series, default: object = None) -> pl.Series:
    """A column of length n: `values` at `rows`, `default` elsewhere."""
    base = pl.repeat(default, n, dtype=values.dtype, eager=True)
    return base.scatter(rows, values) if rows.len() else base


def latest_before(df: pl.DataFrame, group: str, time: str) -> pl.Series:
    """Per row, the latest `time` among the earlier rows of its group (null on a group's first
    row); the rows of a group are contiguous. One running maximum over the whole column, with
    the group's number in the high bits so that each group starts afresh (a window per group
    costs several times more); the window when the numbers do not fit in 63 bits."""
    new = (pl.col(group) != pl.col(group).shift(1)).fill_null(True)
    us = pl.col(time).dt.epoch("us")
    lo, hi, groups, nulls = df.select(us.min().alias("lo"), us.max().alias("hi"), new.sum().alias("n"),
                                      pl.col(time).null_count().alias("nulls")).row(0)
    width = int(hi - lo).bit_length() if lo is not None else 0
    if lo is None or nulls or width + int(groups).bit_length() > 62:
        return df.select(pl.when(~new).then(pl.col(time).cum_max().shift(1).over(group))).to_series()
    number = new.cast(pl.Int64).cum_sum() * (1 << width)
    running = (number + (us - lo)).cum_max().shift(1)
    latest = (running - number + lo).cast(pl.Datetime("us", df.schema[time].time_zone))
    return df.select(pl.when(~new).then(latest)).to_series()


def packed_order(df: pl.DataFrame, cols: list[str]) -> pl.Series | None:
    """Row numbers of `df` in the order of `cols` (ascending; equal rows in frame order) from one
    packed integer per row: a text column as its place among its distinct values, a date or
    integer column as its distance from its smallest value. None when a column holds nulls or
    another type, or the parts do not fit in 64 bits with the row number (sort the frame itself
    then). Sorting one integer is several times faster than sorting by a text column and two
    more (5.9 M visit rows by order, day and visit: 0.4 s against 1.9 s)."""
    parts, widths = [], []
    for c in cols:
        s = df.get_column(c)
        if s.null_count() or not (s.dtype == pl.String or s.dtype == pl.Date or s.dtype.is_integer()):
            return None
        if s.dtype == pl.String:
            values = s.unique().sort()
            parts.append(pl.col(c).replace_strict(values, pl.int_range(values.len(), dtype=pl.UInt64, eager=True),
                                                  return_dtype=pl.UInt64))
            widths.append(max(values.len() - 1, 1).bit_length())
        else:
            lo, hi = df.select(pl.col(c).cast(pl.Int64).min().alias("lo"), pl.col(c).cast(pl.Int64).max().alias("hi")).row(0)
            parts.append((pl.col(c).cast(pl.Int64) - lo).cast(pl.UInt64))
            widths.append(max(hi - lo, 1).bit_length())
    if sum(widths) + max(df.height - 1, 1).bit_length() > 64:
        return None
    key = pl.lit(0, dtype=pl.UInt64)
    for part, width in zip(parts, widths):
        key = key * pl.lit(1 << width, dtype=pl.UInt64) + part
    return sorted_rows(df.select(key.alias("k")).to_series())[0]
