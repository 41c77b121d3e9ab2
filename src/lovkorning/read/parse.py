"""Typing the string frames: one column spec per contract column, parsed columnar.

A value that does not parse becomes a finding (file, row, column, code) and its row is rejected;
nothing is dropped silently. Personnummer are checked once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from ..core import avvikelser as av
from ..core import ids
from ..core.codes import by_code, dictionary
from ..core.columnar import on_every_core
from ..core.localtime import TZ, local_to_utc


@dataclass(frozen=True)
class Col:
    name: str
    kind: str                    # str pnr bankgiro orgnr date datetime minutes int enum bool list
    required: bool = False       # the column and a value on every row
    allowed: tuple[str, ...] = ()
    column: bool = False         # the column, whose value may be empty (besok's start and slut)


SPECS: dict[str, list[Col]] = {
    "utforare": [
        Col("utforare_id", "str", True), Col("namn", "str", True),
        Col("regi", "enum", True, ("privat", "egen")), Col("orgnr", "orgnr"),
        Col("bankgiro", "bankgiro"), Col("flaggor", "list"),
    ],
    "bestallningar": [
        Col("bestallning_id", "str", True), Col("brukare_id", "pnr", True),
        Col("utforare_id", "str", True), Col("insats", "str", True),
        Col("minuter", "minutes", True), Col("per", "enum", True, ("dag", "vecka", "manad")),
        Col("giltig_fran", "date", True), Col("giltig_till", "date"), Col("verkstalld_fran", "date"),
        Col("antal", "int"), Col("zon", "enum_lower", True), Col("dubbelbemanning", "bool"),
    ],
    "uppehall": [
        Col("brukare_id", "pnr", True), Col("fran", "date", True), Col("till", "date"),
        Col("orsak", "enum_lower"), Col("utforare_id", "str"),
    ],
    "taggningar": [
        Col("handelse_id", "str", True), Col("brukare_id", "pnr", True), Col("utforare_id", "str", True),
        Col("personal_id", "str", True), Col("tidpunkt", "datetime", True),
        Col("typ", "enum", True, ("in", "ut", "avbojt")), Col("metod", "enum", True, ("tagg", "manuell")),
        Col("insatser", "list"), Col("roll", "enum_lower"), Col("korrigerad", "bool"),
    ],
    "besok": [
        Col("besok_id", "str", True), Col("brukare_id", "pnr", True), Col("utforare_id", "str", True),
        Col("personal_id", "str", True), Col("start", "datetime", column=True), Col("slut", "datetime", column=True),
        Col("metod_start", "enum", False, ("tagg", "manuell"), column=True),
        Col("metod_slut", "enum", False, ("tagg", "manuell"), column=True),
        Col("insatser", "list"), Col("roll", "enum_lower"), Col("korrigerad", "bool"), Col("avbojt", "bool"),
        Col("minuter", "minutes"),
    ],
    "genomforandeplaner": [
        Col("brukare_id", "pnr", True), Col("utforare_id", "str", True), Col("godkand", "date", True),
    ],
    "overtid": [
        Col("brukare_id", "pnr", True), Col("utforare_id", "str", True), Col("minuter", "minutes", True),
    ],
}

TRUE = ("ja", "j", "true", "1", "yes", "x")
FALSE = ("nej", "n", "false", "0", "no")


# a required column that another can stand in for: a visit's length instead of its end
INSTEAD = {("besok", "slut"): "minuter"}


def required_columns(name: str, present: list[str] | tuple[str, ...] = ()) -> list[str]:
    return [c.name for c in SPECS[name] if (c.required or c.column)
            and INSTEAD.get((name, c.name)) not in present]


def _blank_to_null(c: str) -> pl.Expr:
    s = pl.col(c).str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s).alias(c)


def _untidy(c: str) -> pl.Expr:
    """A value _blank_to_null changes: spaces around it (what strip_chars takes away), or blank."""
    return (pl.col(c).str.strip_chars() != pl.col(c)) | (pl.col(c) == "")


def _tidied(df: pl.DataFrame, names: list[str]) -> list[pl.Expr]:
    """_blank_to_null for each column that has a value it changes. In a large file most columns
    have none, and finding that out (on every core) is cheaper than tidying, which copies every
    value (a Stockholm tag log's 3 million handelse_id: 0.03 s to look, 0.12 s to copy; a regular
    expression took 0.12 s to look)."""
    if df.height < 10_000 or not names:
        return [_blank_to_null(c) for c in names]
    untidy = on_every_core(df, *(_untidy(c).any().alias(c) for c in names)).row(0)
    return [_blank_to_null(c) for c, hit in zip(names, untidy) if hit]


def _date(e: pl.Expr) -> pl.Expr:
    # a date with a midnight time is that date (Excel date cells formatted with a time, SQL exports)
    return e.str.replace(r"[ T]00:00(:00)?$", "").str.to_date("%Y-%m-%d", strict=False)


def _minutes_milli(e: pl.Expr) -> pl.Expr:
    """'12,5' -> 12500; exact, up to three decimals; None when it is not such a number."""
    m = e.str.extract_groups(r"^(\d{1,7})(?:[.,](\d{1,3}))?$")
    whole = m.struct.field("1").cast(pl.Int64, strict=False)
    frac = m.struct.field("2").fill_null("").str.pad_end(3, "0").cast(pl.Int64, strict=False)
    return whole * 1000 + frac


# a time of day with seconds, their fraction (dropped), and an optional offset
FRACTION = r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})[.,]\d{1,9}((?:Z|[+-]\d{2}(?::?\d{2})?)?)$"
OFFSET = r"\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}(?::?\d{2})?)$"


def _timestamps(e: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(UTC datetime or null, local-time-only parse) so a DST gap can be told from garbage.
    ISO 8601 forms: `T` or a space; seconds optional, with a fraction (`.5`, `,25`: truncated to
    the whole second, as every other input is); offset `Z`, `±hh:mm`, `±hhmm` or `±hh`."""
    s = e.str.replace("T", " ", literal=True)
    s = s.str.replace(FRACTION, "${1}${2}")
    has_off = s.str.contains(OFFSET)
    naive_txt = pl.when(s.str.len_chars() == 16).then(s + ":00").otherwise(s)
    naive = naive_txt.str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us")
    local = naive.dt.replace_time_zone(TZ, ambiguous="null", non_existent="null").dt.convert_time_zone("UTC")
    off_txt = s.str.replace(r"Z$", "+00:00").str.replace(r"([+-]\d{2})$", "${1}:00")
    off_txt = pl.when(off_txt.str.contains(r" \d{2}:\d{2}[+-]")).then(
        off_txt.str.replace(r"^(\S+ \d{2}:\d{2})([+-])", "${1}:00${2}")).otherwise(off_txt)
    with_off = off_txt.str.to_datetime("%Y-%m-%d %H:%M:%S%z", strict=False, time_unit="us").dt.convert_time_zone("UTC")
    value = pl.when(has_off).then(with_off).otherwise(local)
    return value, pl.when(has_off).then(None).otherwise(naive)


def parse_frame(name: str, raw: pl.DataFrame, ref: date, value_map: dict[str, dict[str, str]] | None = None,
                hints: dict[str, str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed frame (rejected rows removed) and the findings of the rejected values. `hints`: the
    form a date or timestamp column is written in, for its messages (a configured format)."""
    specs = SPECS[name]
    value_map = value_map or {}
    present = [c for c in specs if c.name in raw.columns]
    coded = [c for c in present if isinstance(raw.schema[c.name], pl.Categorical)]
    plain = [c for c in present if c not in coded]
    # timestamps are tidied in with_fast_timestamps, only on the rows that need it
    df = raw.select([*(c.name for c in present), "_fil", "_rad"])
    df = df.with_columns(_tidied(df, [c.name for c in plain if c.kind != "datetime"]))
    for col, mapping in value_map.items():
        if col in df.columns and mapping and col not in {c.name for c in coded}:
            df = df.with_columns(pl.col(col).replace(mapping))
    df = with_fast_timestamps(df, plain)
    typed, problems = [], []
    for c in plain:
        expr, checks = _typed(c, df, ref, (hints or {}).get(c.name))
        typed.append(expr.alias(c.name))
        problems += [(c, i, bad, kod, msg) for i, (bad, kod, msg) in enumerate(checks)]
    # raw values, typed values and every check in one pass (polars shares the common work)
    flags = df.with_columns(
        [e.alias(f"_t_{c.name}") for c, e in zip(plain, typed)]
        + [bad.alias(f"_bad_{c.name}_{i}") for c, i, bad, _, _ in problems]
        + [pl.col(c.name).is_null().alias(f"_miss_{c.name}") for c in plain if c.required]
    )
    for c in coded:                  # the same, worked out once per distinct value
        cols, checks = _by_value(c, df.get_column(c.name), ref, value_map.get(c.name))
        flags = flags.with_columns(cols)
        problems += [(c, i, None, kod, msg) for i, (kod, msg) in enumerate(checks)]
    if "brukare_id" in df.columns:   # findings name the brukare in normalised form
        flags = flags.with_columns(pl.col("_t_brukare_id").alias("_brukare"))
    findings = []
    for c, i, _, kod, msg in problems:
        hit = flags.filter(pl.col(f"_bad_{c.name}_{i}"))
        if hit.height:
            if coded:        # messages quote the value as text
                hit = hit.with_columns([pl.col(x.name).cast(pl.String) for x in coded]).with_columns(
                    [_blank_to_null(x.name) for x in coded])
            findings.append(av.from_rows(kod, _finding_rows(hit, msg), pl.col("_msg"), c.name))
    for c in present:
        if c.required:
            miss = flags.filter(pl.col(f"_miss_{c.name}"))
            if miss.height:
                findings.append(av.from_rows("saknat-varde", miss.select("_fil", "_rad"),
                                             f"Obligatoriskt värde saknas i kolumnen '{c.name}'.", c.name))
    reject = pl.any_horizontal([pl.col(f"_bad_{c.name}_{i}") for c, i, _, kod, _ in problems
                                if av.KODER[kod].allvarlighet == "fel"]
                               + [pl.col(f"_miss_{c.name}") for c in present if c.required] + [pl.lit(False)])
    keep = [pl.col(f"_t_{c.name}").alias(c.name) for c in present] + [pl.col("_fil"), pl.col("_rad")]
    out = flags.select(keep + [reject.alias("_reject")])     # narrow first: filtering copies what it keeps
    del flags, df
    out = (out.filter(~pl.col("_reject")) if out["_reject"].any() else out).drop("_reject")
    out = add_absent(name, out, raw.columns)
    return out.rename({c.name: f"{c.name}_milli" for c in specs if c.kind == "minutes"}), av.concat(findings)


def _by_value(c: Col, col: pl.Series, ref: date, mapping: dict[str, str] | None) -> tuple[list[pl.Series], list[tuple[str, str | pl.Expr]]]:
    """Typed value and checks of a dictionary-encoded (Categorical) column, worked out on the
    values of its dictionary and given to the rows by code: a tag log has millions of rows but
    only thousands of brukare, staff and insats combinations. Ids and enums stay Categorical; a
    list stays one Categorical text ('a|b', tidied); bool becomes Boolean."""
    values = dictionary(col)
    # the dictionary's values in code order, then one null: what a missing value (null) gets
    small = pl.DataFrame({c.name: values.extend_constant(None, 1)}).with_columns(_blank_to_null(c.name))
    if mapping:
        small = small.with_columns(pl.col(c.name).replace(mapping))
    expr, checks = _typed(c, small, ref)
    if c.kind == "list":
        expr = expr.list.join("|")
        expr = pl.when(expr == "").then(None).otherwise(expr)
    out = small.select(
        expr.alias(f"_t_{c.name}"),
        *[bad.fill_null(False).alias(f"_bad_{c.name}_{i}") for i, (bad, _, _) in enumerate(checks)],
        *([pl.col(c.name).is_null().alias(f"_miss_{c.name}")] if c.required else []),
    )
    typed, n = f"_t_{c.name}", values.len()
    series = []
    for name in out.columns:
        per_value = out[name]
        if name == typed and per_value.dtype == pl.String:
            if per_value.head(n).eq_missing(values).all():
                series.append(col.alias(name))         # nothing to tidy: the column itself
                continue
            per_value = per_value.cast(col.dtype)
        elif name != typed and not (per_value.head(n).any() or (per_value[n] and col.null_count())):
            series.append(pl.repeat(False, col.len(), eager=True).alias(name))    # the common case: no row is flagged
            continue
        series.append(by_code(per_value.head(n), col, if_null=per_value[n]))
    return series, [(kod, msg) for _, kod, msg in checks]


def _finding_rows(hit: pl.DataFrame, msg: str | pl.Expr) -> pl.DataFrame:
    """The rows a finding names: source, utförare, normalised brukare, and the message."""
    cols = [c for c in ("utforare_id", "_fil", "_rad") if c in hit.columns]
    brukare = [pl.col("_brukare").alias("brukare_id")] if "_brukare" in hit.columns else []
    text = msg if isinstance(msg, pl.Expr) else pl.lit(msg)
    return hit.select(cols + brukare + [text.alias("_msg")])


def _all_in(df: pl.DataFrame, name: str, allowed: tuple[str, ...]) -> bool:
    """Every given value is exactly one of `allowed` (checked on the distinct values)."""
    return set(df.get_column(name).drop_nulls().unique().to_list()) <= set(allowed)


def with_fast_timestamps(df: pl.DataFrame, present: list[Col]) -> pl.DataFrame:
    """Timestamps parsed once into helper columns `_tsv_<name>` (UTC) and `_tsn_<name>` (local,
    naive): the common form `YYYY-MM-DD HH:MM:SS` for every row at a tenth of the general path's
    cost, and the general path (offsets, `T`, minutes only, garbage) only for the rows left over.
    Those rows are also tidied as every text value is (spaces around it stripped; blank is
    missing), so the column is as `_blank_to_null` leaves it."""
    for c in present:
        if c.kind != "datetime":
            continue
        col = df.get_column(c.name)
        # near-unique values: polars' cache of parsed strings costs more than it saves
        naive = on_every_core(df, pl.col(c.name).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, time_unit="us",
                                                                  cache=False)).to_series()
        utc = local_to_utc(naive)
        left = (naive.is_null() & col.is_not_null()).arg_true()
        if left.len():
            given = col.gather(left)
            tidy = pl.DataFrame({"v": given}).select(_blank_to_null("v")).to_series()
            if not tidy.equals(given):
                col = col.scatter(left, tidy)
                df = df.with_columns(col)
            value, raw_naive = _timestamps(pl.col("v"))
            rest = pl.DataFrame({"v": tidy}).select(value.alias("u"), raw_naive.alias("n"))
            utc, naive = utc.scatter(left, rest["u"]), naive.scatter(left, rest["n"])
        df = df.with_columns(utc.alias(f"_tsv_{c.name}"), naive.alias(f"_tsn_{c.name}"))
    return df


def _typed(c: Col, df: pl.DataFrame, ref: date,
           hint: str | None = None) -> tuple[pl.Expr, list[tuple[pl.Expr, str, str | pl.Expr]]]:
    """The typed column and its checks: (row is bad, finding code, Swedish message)."""
    v = pl.col(c.name)
    given = v.is_not_null()
    if c.kind == "str":
        return v, []
    if c.kind == "enum_lower":
        return v.str.to_lowercase(), []
    if c.kind == "enum" and _all_in(df, c.name, c.allowed):
        return v, []                                  # the common case: already as the contract writes it
    if c.kind == "enum":
        low = v.str.to_lowercase()
        msg = f"Värdet i kolumnen '{c.name}' är inte tillåtet; tillåtna: {', '.join(c.allowed)}."
        return low, [(given & ~low.is_in(list(c.allowed)), "ogiltigt-varde", msg)]
    if c.kind == "date":
        d = _date(v)
        msg = pl.format("'{}' i kolumnen '" + c.name + "' är inget giltigt datum (" + (hint or "ÅÅÅÅ-MM-DD") + ").", v)
        return d, [(given & d.is_null(), "ogiltigt-datum", msg)]
    if c.kind == "datetime":
        fast = f"_tsv_{c.name}" in df.columns
        value, naive = (pl.col(f"_tsv_{c.name}"), pl.col(f"_tsn_{c.name}")) if fast else _timestamps(v)
        bad = given & value.is_null()
        gap = pl.format("'{}' finns inte eller är tvetydig i svensk tid (sommartidsbyte); ange tidszon, t.ex. +02:00.", v)
        junk = pl.format("'{}' är ingen giltig tidpunkt (" + (hint or "ÅÅÅÅ-MM-DD TT:MM[:SS]") + ").", v)
        return value, [(bad & naive.is_not_null(), "tvetydig-tidpunkt", gap),
                       (bad & naive.is_null(), "ogiltig-tidpunkt", junk)]
    if c.kind == "minutes":
        m = _minutes_milli(v)
        msg = pl.format("'{}' i kolumnen '" + c.name + "' är inget tal (högst tre decimaler).", v)
        return m, [(given & m.is_null(), "ogiltigt-tal", msg)]
    if c.kind == "int":
        i = v.str.extract(r"^(\d{1,9})$").cast(pl.Int64, strict=False)
        msg = pl.format("'{}' i kolumnen '" + c.name + "' är inget heltal.", v)
        return i, [(given & i.is_null(), "ogiltigt-tal", msg)]
    if c.kind == "bool" and _all_in(df, c.name, ("ja", "nej")):
        return (v == "ja").fill_null(False), []
    if c.kind == "bool":
        low = v.str.to_lowercase()
        msg = f"Kolumnen '{c.name}' ska vara ja eller nej."
        return low.is_in(list(TRUE)).fill_null(False), [(given & ~low.is_in(list(TRUE + FALSE)), "ogiltigt-varde", msg)]
    if c.kind == "list" and not df.select(v.str.contains(r"(^|\|)\s|\s($|\|)|^\||\|\||\|$").any()).item():
        return v.str.split("|").fill_null(pl.lit([], dtype=pl.List(pl.String))), []   # nothing to tidy
    if c.kind == "list":
        lst = v.str.split("|").list.eval(pl.element().str.strip_chars()).list.eval(
            pl.element().filter(pl.element() != "")).fill_null(pl.lit([], dtype=pl.List(pl.String)))
        return lst, []
    if c.kind == "pnr":
        uniq = df[c.name].drop_nulls().str.strip_chars().unique()
        norm = v.replace_strict(uniq, ids.normalize_personnummer_series(uniq, ref), default=None, return_dtype=pl.String)
        msg = f"Kolumnen '{c.name}' innehåller inget giltigt person- eller samordningsnummer (kontrollsiffra eller datum)."
        return norm, [(given & norm.is_null(), "ogiltigt-personnummer", msg)]
    if c.kind == "bankgiro":
        norm = _mapped(v, df[c.name], ids.normalize_bankgiro)
        msg = pl.format("'{}' är inget giltigt bankgironummer (kontrollsiffran stämmer inte).", v)
        return norm, [(given & norm.is_null(), "ogiltigt-bankgiro", msg)]
    if c.kind == "orgnr":
        norm = _mapped(v, df[c.name], ids.normalize_orgnr)
        msg = pl.format("'{}' är inget giltigt organisationsnummer.", v)
        return pl.coalesce(norm, v), [(given & norm.is_null(), "ogiltigt-orgnr", msg)]
    raise AssertionError(c.kind)


def _mapped(v: pl.Expr, values: pl.Series, fn) -> pl.Expr:
    """Apply a Python check once per distinct value (ids are few, rows are many)."""
    mapping = {x: fn(x) for x in values.drop_nulls().str.strip_chars().unique().to_list()}
    return v.replace_strict(mapping, default=None, return_dtype=pl.String)


DEFAULTS = {
    "bool": (pl.lit(False), pl.Boolean),
    "list": (pl.lit([], dtype=pl.List(pl.String)), pl.List(pl.String)),
}


def add_absent(name: str, df: pl.DataFrame, raw_cols: list[str]) -> pl.DataFrame:
    """Optional columns the file lacks, as typed nulls (or the kind's default)."""
    types = {"str": pl.String, "pnr": pl.String, "bankgiro": pl.String, "orgnr": pl.String, "enum": pl.String,
             "enum_lower": pl.String, "date": pl.Date, "datetime": pl.Datetime("us", "UTC"),
             "minutes": pl.Int64, "int": pl.Int64}
    add = []
    for c in SPECS[name]:
        if c.name in raw_cols:
            continue
        if c.kind in DEFAULTS:
            expr, dtype = DEFAULTS[c.kind]
            add.append(expr.cast(dtype).alias(c.name))
        else:
            add.append(pl.lit(None, dtype=types[c.kind]).alias(c.name))
    return df.with_columns(add) if add else df
