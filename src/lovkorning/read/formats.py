"""Values as a real export writes them, rewritten into the contract's forms before typing
(`inputs.format.<file>`, docs/inputs.md): dates and timestamps in a configured format, a day in a
column of its own beside a clock time, Excel serial numbers, a visit's length as H:MM, lists with
other separators. What a format cannot read is left as it stands, so that parse names it as any
bad value; a format that reads none of its column's values is a wrong mapping and stops the run.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from ..config.inputformat import EXCEL, FormatCfg
from ..core.errors import Fel, InputError, Plats
from .parse import SPECS
from .sniff import safe_name

SERIAL = r"^\d{1,7}(?:[.,]\d+)?$"              # an Excel serial number as a cell or a CSV writes it
DEFAULT_DAY = r"^\d{4}-\d{2}-\d{2}"
DEFAULT_CLOCK = r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$"
# a visit's end before its start on the same day column: the visit went past midnight
ENDS = {"besok": ("start", "slut")}


def _blank(e: pl.Expr) -> pl.Expr:
    s = e.cast(pl.String).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def _serial(e: pl.Expr) -> pl.Expr:
    """An Excel serial number (days since 1899-12-30, the time of day as the fraction) as a naive
    datetime, to the nearest second; null when the text is not one."""
    num = pl.when(e.str.contains(SERIAL)).then(e.str.replace(",", ".", literal=True)).cast(pl.Float64, strict=False)
    secs = (num * 86_400).round(0).cast(pl.Int64, strict=False)
    value = pl.lit(datetime(1899, 12, 30), dtype=pl.Datetime("us")) + pl.duration(seconds=secs)
    return pl.when((num >= 0) & (num < 2_958_466)).then(value)


def _plausible(d: pl.Expr) -> pl.Expr:
    """A year of four digits read as two ('4/9/23' under %Y is the year 23): not a date."""
    return pl.when(d.dt.year() >= 1900).then(d)


def _day(e: pl.Expr, fmt: str | None, serial: bool) -> tuple[pl.Expr, pl.Expr]:
    """(date or null, read by the configured format) of a text column."""
    tries, by_fmt = [], pl.lit(None, dtype=pl.Date)
    if fmt and fmt != EXCEL:
        by_fmt = _plausible(e.str.to_date(fmt, strict=False))
        tries.append(by_fmt)
    if serial:
        by_serial = _serial(e).dt.date()
        tries.append(by_serial)
        if fmt == EXCEL:
            by_fmt = by_serial
    iso = e.str.extract(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2})?)?$")
    tries.append(iso.str.to_date("%Y-%m-%d", strict=False))
    return pl.coalesce(tries), by_fmt


def _clock(e: pl.Expr, fmt: str | None, serial: bool) -> tuple[pl.Expr, pl.Expr]:
    """(time or null, read by the configured format): a clock time `H:MM[:SS]`, a date and time
    (the time taken), an Excel fraction of a day."""
    tries, by_fmt = [], pl.lit(None, dtype=pl.Time)
    if fmt and fmt != EXCEL:
        by_fmt = e.str.to_time(fmt, strict=False)
        tries.append(by_fmt)
    if serial:
        by_serial = _serial(e).dt.time()
        tries.append(pl.when(e.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False) < 1).then(by_serial))
        if fmt == EXCEL:
            by_fmt = tries[-1]
    clock = e.str.extract(r"(?:^|[ T])(\d{1,2}:\d{2}(?::\d{2})?)$")
    clock = pl.when(clock.str.count_matches(":") == 1).then(clock + ":00").otherwise(clock)
    tries.append(clock.str.to_time("%H:%M:%S", strict=False))
    return pl.coalesce(tries), by_fmt


def _moment(e: pl.Expr, fmt: str | None, serial: bool) -> tuple[pl.Expr, pl.Expr]:
    """(naive datetime or null, read by the configured format) of a timestamp in one cell; the
    contract's own forms are left to parse (which knows offsets and daylight saving)."""
    tries, by_fmt = [], pl.lit(None, dtype=pl.Datetime("us"))
    if fmt and fmt != EXCEL:
        by_fmt = _plausible(e.str.to_datetime(fmt, strict=False, time_unit="us"))
        tries.append(by_fmt)
    if serial:
        tries.append(_serial(e))
        if fmt == EXCEL:
            by_fmt = tries[-1]
    if not tries:
        return pl.lit(None, dtype=pl.Datetime("us")), by_fmt
    return pl.coalesce(tries), by_fmt


def _column(df: pl.DataFrame, theirs: str, key: str, fil: str, header: int) -> str:
    name = theirs.strip().lower()
    if name not in df.columns:
        cols = ", ".join(f"'{safe_name(c)}'" for c in df.columns if not c.startswith("_"))
        raise InputError(Fel(f"Kolumnen '{theirs}' ({key}) finns inte i filen; filens kolumner: {cols}.",
                             Plats(fil, header, safe_name(theirs))))
    return name


def hints(name: str, fmt: FormatCfg | None) -> dict[str, str]:
    """How each date and timestamp column is written, for parse's messages."""
    if fmt is None:
        return {}
    out = {}
    for c in SPECS[name]:
        if c.kind == "date" and fmt.date:
            out[c.name] = fmt.date
        elif c.kind == "datetime" and c.name in fmt.date_columns:
            out[c.name] = f"datum {fmt.date or 'ÅÅÅÅ-MM-DD'} i '{fmt.date_columns[c.name]}', klockslag {fmt.time or 'TT:MM'}"
        elif c.kind == "datetime" and fmt.datetime:
            out[c.name] = f"{fmt.datetime} eller ÅÅÅÅ-MM-DD TT:MM[:SS]"
    return out


def with_fixed(name: str, df: pl.DataFrame, fmt: FormatCfg | None, fil: str,
               theirs: dict[str, str] | None = None) -> pl.DataFrame:
    """The columns the config gives one value (`fixed`), as text on every row, to be read as the
    file's values are. A column the file gives too is ambiguous: the run stops, naming both."""
    if fmt is None or not fmt.fixed:
        return df
    both = [c for c in fmt.fixed if c in df.columns]
    if both:
        theirs = theirs or {}
        raise InputError([Fel(f"Kolumnen '{c}' finns både i filen ('{safe_name(theirs.get(c, c))}') och som fast värde "
                              f"(inputs.format.{name}.fixed.{c}): ta bort den ena.",
                              Plats(fil, fmt.header_row[-1], safe_name(theirs.get(c, c)))) for c in both])
    return df.with_columns(pl.lit(v, dtype=pl.String).alias(c) for c, v in fmt.fixed.items())


def apply_formats(name: str, df: pl.DataFrame, fmt: FormatCfg | None, xlsx: bool, fil: str,
                  theirs: dict[str, str] | None = None) -> pl.DataFrame:
    """The frame (text, our column names) with dates, timestamps, lengths and lists in the
    contract's forms, as far as the config's formats read them. With a format for the file, a
    number in a date or time column of an .xlsx is an Excel serial number (with `excel` as the
    format, in a CSV too). `theirs`: the config's renaming, to name the file's columns."""
    theirs = theirs or {}
    df = with_fixed(name, df, fmt, fil, theirs)
    specs = {c.name: c.kind for c in SPECS[name] if c.name in df.columns}
    configured, fmt = fmt is not None, fmt or FormatCfg()
    header = fmt.header_row[-1]
    serial = (xlsx and configured) or EXCEL in (fmt.date, fmt.time, fmt.datetime)
    days = {c: _column(df, d, f"inputs.format.{name}.date_columns.{c}", fil, header) for c, d in fmt.date_columns.items()}
    out, checks, clocks = {}, [], {}
    for col, kind in specs.items():
        v = _blank(pl.col(col))
        if kind == "date" and (fmt.date or serial):
            value, by_fmt = _day(v, fmt.date, serial)
            out[col] = pl.coalesce(value.dt.strftime("%Y-%m-%d"), v)
            checks.append((theirs.get(col, col), col, "date", fmt.date, by_fmt, value.is_not_null()))
        elif kind == "datetime" and col in days:
            day, day_fmt = _day(_blank(pl.col(days[col])), fmt.date, serial)
            clock, clock_fmt = _clock(v, fmt.time, serial)
            clocks[col] = (day, clock, days[col])
            both = pl.when(day.is_not_null() & clock.is_not_null()).then(
                day.dt.strftime("%Y-%m-%d") + " " + clock.dt.strftime("%H:%M:%S"))
            raw = pl.when(v.is_not_null()).then(pl.concat_str([_blank(pl.col(days[col])).fill_null(""), v], separator=" ")
                                                .str.strip_chars())
            out[col] = pl.coalesce(both, raw)
            checks.append((fmt.date_columns[col], days[col], "date", fmt.date, day_fmt, day.is_not_null()))
            checks.append((theirs.get(col, col), col, "time", fmt.time, clock_fmt, clock.is_not_null()))
        elif kind == "datetime" and (fmt.datetime or serial):
            value, by_fmt = _moment(v, fmt.datetime, serial)
            out[col] = pl.coalesce(value.dt.strftime("%Y-%m-%d %H:%M:%S"), v)
            checks.append((theirs.get(col, col), col, "datetime", fmt.datetime, by_fmt,
                           value.is_not_null() | v.str.contains(DEFAULT_DAY)))
        elif kind == "list" and fmt.list_separator:
            text = v
            for sep in fmt.list_separator:
                text = text.str.replace_all(sep, "|", literal=True)
            out[col] = text
        elif (name, col) == ("besok", "minuter"):
            out[col] = _length(v)
    start, end = ENDS.get(name, (None, None))
    if start in clocks and end in clocks and clocks[start][2] == clocks[end][2]:
        (day, t0, _), (_, t1, _) = clocks[start], clocks[end]
        later = (day + pl.duration(days=1)).dt.strftime("%Y-%m-%d") + " " + t1.dt.strftime("%H:%M:%S")
        out[end] = pl.when(day.is_not_null() & t0.is_not_null() & t1.is_not_null() & (t1 < t0)).then(later).otherwise(out[end])
    if checks:
        _check_formats(name, df, checks, fil)
    return df.with_columns(e.alias(c) for c, e in out.items()) if out else df


def _length(v: pl.Expr) -> pl.Expr:
    """A visit's length written as H:MM[:SS] (00:45, 1:30:30) in minutes ('45', '90.500'), to the
    thousandth of a minute as every length is; anything else as it stands (minutes)."""
    m = v.str.extract_groups(DEFAULT_CLOCK)
    secs = (m.struct.field("1").cast(pl.Int64) * 3600 + m.struct.field("2").cast(pl.Int64) * 60
            + m.struct.field("3").cast(pl.Int64).fill_null(0))
    minutes = (secs // 60).cast(pl.String) + pl.when(secs % 60 > 0).then(
        pl.lit(".") + ((secs % 60) * 1000 // 60).cast(pl.String).str.pad_start(3, "0")).otherwise(pl.lit(""))
    return pl.when(m.struct.field("1").is_not_null()).then(minutes).otherwise(v)


def _check_formats(name: str, df: pl.DataFrame, checks: list, fil: str) -> None:
    """A configured format that reads none of its column's values, where some value is in no form
    that is read, is a wrong mapping: stop, naming the first such value."""
    errors = []
    for shown, col, kind, given, by_fmt, readable in checks:
        if given is None:
            continue
        v = _blank(pl.col(col))
        unread = v.is_not_null() & ~readable.fill_null(False)
        got = df.select(by_fmt.is_not_null().sum().alias("n"), v.is_not_null().sum().alias("given"),
                        pl.struct(v.alias("v"), pl.col("_rad")).filter(unread).first().alias("bad"))
        n, given_n, bad = got.row(0)
        if n == 0 and given_n and bad is not None:
            what = {"date": "datum", "time": "klockslag", "datetime": "tidpunkt"}[kind]
            errors.append(Fel(f"Formatet '{given}' (inputs.format.{name}.{kind}) läser inget {what} i kolumnen "
                              f"'{safe_name(shown)}': till exempel '{bad['v']}'. Stämmer formatet med filen?",
                              Plats(fil, bad["_rad"], safe_name(shown))))
    if errors:
        raise InputError(errors)
