"""The month's inputs: every file read, typed and checked across files.

The utförare register must be clean (it says who is paid where): any error in it stops the run.
In the other files a bad row is rejected with a finding and the run goes on, so one typo does
not hold up every provider's payment; the rejected rows are listed in avvikelser.csv.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..core import avvikelser as av
from ..core.codes import coded_dtype
from ..config.schema import EVENT_FILES, INPUT_FILES
from ..config.loaded import LoadedConfig
from ..core.errors import Fel, InputError, Plats
from .besok import besok_to_events
from .formats import apply_formats, hints
from .parse import SPECS, add_absent, parse_frame, required_columns
from ..core.period import Period
from .files import Source, locate, read_table, require_columns

REQUIRED_FILES = ("utforare", "bestallningar", "taggningar")     # taggningar, or besok instead
# Columns dictionary-encoded (Categorical): millions of tag events, thousands of distinct values.
CODED = {"taggningar": ("brukare_id", "utforare_id", "personal_id", "typ", "metod", "insatser", "roll", "korrigerad")}
# Of those, the ones with tens of thousands of values are read as text and encoded after the read:
# polars' CSV reader builds a large dictionary several times slower than a cast of the column does
# (measured on a Stockholm tag log: 0.25 s more in the reader against 0.08 s for the cast).
CODED_AFTER_READ = ("brukare_id", "personal_id")


@dataclass
class Indata:
    frames: dict[str, pl.DataFrame]
    avvikelser: pl.DataFrame
    sources: list[Source] = field(default_factory=list)

    def __getattr__(self, name: str) -> pl.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)


def empty_frame(name: str) -> pl.DataFrame:
    base = pl.DataFrame(schema={"_fil": pl.String, "_rad": pl.Int64})
    minutes = {c.name: f"{c.name}_milli" for c in SPECS[name] if c.kind == "minutes"}
    return add_absent(name, base, []).rename(minutes)


def _month_bound(cfg: LoadedConfig, name: str) -> bool:
    """Does the file's place change with the month (`{month}` in its path or in inputs.dir)? A
    register kept beside the month folders (`inputs.utforare`) says nothing of a month's data."""
    return "{month}" in (getattr(cfg.cfg.inputs, name) or cfg.cfg.inputs.dir)


def has_inputs(cfg: LoadedConfig, period: Period) -> bool:
    """Is any of the month's own input files there? A config whose paths do not change with the
    month cannot tell one month from another: every month counts as there."""
    bound = [n for n in INPUT_FILES if _month_bound(cfg, n)]
    return not bound or any(
        locate(cfg.input_dir(period.label), n, cfg.input_path(n, period.label)) is not None for n in bound)


def require_month(cfg: LoadedConfig, period: Period) -> None:
    """An InputError naming the month and the folder looked in when none of the month's files is
    there: a month not yet exported, not one file missing from an export (read_one says which)."""
    if has_inputs(cfg, period):
        return
    folder = cfg.input_dir(period.label)
    if not folder.is_dir():
        raise InputError(Fel(f"Inga indata för {period.label}: mappen finns inte.", Plats(str(folder))))
    names = ", ".join(n for n in INPUT_FILES if _month_bound(cfg, n))
    raise InputError(Fel(f"Inga indata för {period.label}: mappen har ingen av månadens indatafiler ({names}).",
                         Plats(str(folder))))


def events_file(cfg: LoadedConfig, period: Period) -> str:
    """Which file holds the month's visits: `taggningar` (tag events) or `besok` (one row per
    visit). Both is an error naming the two files; neither, an error naming the tag log."""
    found = {n: locate(cfg.input_dir(period.label), n, cfg.input_path(n, period.label)) for n in EVENT_FILES}
    if found["taggningar"] is not None and found["besok"] is not None:
        a, b = found["taggningar"], found["besok"]
        where = b.parent if a.parent == b.parent else b
        raise InputError(Fel(f"Månaden har både taggningar ({a.name}) och besök ({b.name}): en månad har det ena "
                             "eller det andra. Ta bort eller flytta den ena filen.", Plats(str(where))))
    return "besok" if found["besok"] is not None else "taggningar"


def read_raw(cfg: LoadedConfig, name: str, path: Path) -> tuple[pl.DataFrame, Source]:
    """A file as text with our column names, its values in the contract's forms as far as the
    config's formats say (inputs.format), the required columns there."""
    inputs = cfg.cfg.inputs
    fmt = inputs.format.get(name)
    coded = CODED.get(name, ()) if fmt is None else ()
    raw, source = read_table(path, name, inputs.columns.get(name, {}),
                             tuple(c for c in coded if c not in CODED_AFTER_READ), fmt,
                             coded_after=tuple(c for c in coded if c in CODED_AFTER_READ))
    if fmt is not None or name == "besok":
        raw = apply_formats(name, raw, fmt, path.suffix.lower() == ".xlsx", path.name, inputs.columns.get(name))
    require_columns(raw, required_columns(name, raw.columns), path.name, fmt.header_row[-1] if fmt else 1)
    return raw, source


def read_one(cfg: LoadedConfig, period: Period, name: str) -> tuple[pl.DataFrame, pl.DataFrame, Source | None]:
    path = locate(cfg.input_dir(period.label), name, cfg.input_path(name, period.label))
    if path is None:
        if name in REQUIRED_FILES:
            where = cfg.input_path(name, period.label) or cfg.input_dir(period.label) / f"{name}.csv"
            also = " (eller besöksfilen 'besok')" if name == "taggningar" else ""
            raise InputError(Fel(f"Indatafilen '{name}'{also} saknas (csv eller xlsx).", Plats(str(where))))
        return empty_frame(name), av.empty(), None
    coded = CODED.get(name, ())
    raw, source = read_raw(cfg, name, path)
    # the same types whichever way the file was read (the careful paths give text)
    raw = raw.with_columns(pl.col(c).cast(coded_dtype(name, c)) for c in coded if raw.schema.get(c) == pl.String)
    typed, findings = parse_frame(name, raw, period.end, cfg.cfg.inputs.values.get(name),
                                  hints(name, cfg.cfg.inputs.format.get(name)))
    if name == "bestallningar" and "verkstalld_fran" not in raw.columns:
        typed = typed.with_columns(pl.col("giltig_fran").alias("verkstalld_fran"))   # no such column: verkställd as granted
    return typed, findings, source


def read_month(cfg: LoadedConfig, period: Period) -> Indata:
    """The month's files read and checked. Visits given as `besok` rows come back as the tag
    events they stand for, in `frames["taggningar"]` (their `_fil` and `_rad` name the visit rows)."""
    require_month(cfg, period)
    visits_in = events_file(cfg, period)
    frames, findings, sources = {}, [], []
    for name in INPUT_FILES:
        if name in EVENT_FILES and name != visits_in:
            continue
        df, f, src = read_one(cfg, period, name)
        frames[name] = df
        findings.append(f)
        if src:
            sources.append(src)
    check_register(frames["utforare"], findings[0], next((s for s in sources if s.name == "utforare"), None))
    frames, extra = reject_unknown_utforare(frames)
    frames["bestallningar"], dup = reject_duplicate_ids(frames["bestallningar"], "bestallning_id")
    frames, spans = reject_bad_intervals(frames)
    if "besok" in frames:
        visits, dup_visits = reject_duplicate_ids(frames.pop("besok"), "besok_id")
        frames["taggningar"], unusable = besok_to_events(visits)
        spans = av.concat([spans, dup_visits, unusable])
    # the register's findings are only warnings here (its errors stopped the run above): keep them too
    return Indata(frames, av.concat(findings + [extra, dup, spans]), sources)


def check_register(utforare: pl.DataFrame, findings: pl.DataFrame, source: Source | None) -> None:
    """Errors in the register stop the run: it decides who is paid, and where. An empty register
    is a failed export, not a month with no one to pay."""
    if source is not None and source.rows == 0:
        raise InputError(Fel("Utförarregistret har inga utförare (bara rubrikrad): ingen kan avräknas.",
                             Plats(source.path.name, 2)))
    errors = [Fel(r["meddelande"], Plats(r["fil"], r["rad"], r["kolumn"]))
              for r in findings.filter(pl.col("allvarlighet") == "fel").iter_rows(named=True)]
    dups = utforare.filter(pl.col("utforare_id").is_duplicated())
    errors += [Fel(f"Utförare '{r['utforare_id']}' förekommer flera gånger.", Plats(r["_fil"], r["_rad"], "utforare_id"))
               for r in dups.iter_rows(named=True)]
    nopay = utforare.filter((pl.col("regi") == "privat") & pl.col("bankgiro").is_null())
    errors += [Fel(f"Privat utförare '{r['utforare_id']}' saknar bankgironummer.", Plats(r["_fil"], r["_rad"], "bankgiro"))
               for r in nopay.iter_rows(named=True)]
    if errors:
        raise InputError(errors)


def reject_unknown_utforare(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    known = frames["utforare"]["utforare_id"].to_list()
    out, findings = dict(frames), []
    for name in [n for n in INPUT_FILES[1:] if n in frames]:
        df = frames[name]
        unknown = df.filter(pl.col("utforare_id").is_not_null() & ~pl.col("utforare_id").is_in(known))
        if unknown.height:
            findings.append(av.from_rows("okand-utforare", unknown,
                                         pl.format("Utförare '{}' finns inte i utförarregistret.", pl.col("utforare_id")),
                                         "utforare_id"))
            out[name] = df.filter(pl.col("utforare_id").is_null() | pl.col("utforare_id").is_in(known))
    return out, av.concat(findings)


def reject_duplicate_ids(df: pl.DataFrame, key: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Keep the first row of each id; later rows with the same id are rejected."""
    later = pl.int_range(pl.len()).over(key) > 0
    dup = df.sort("_rad").filter(later)
    if dup.is_empty():
        return df, av.empty()
    f = av.from_rows("dubbel-rad", dup, pl.format("'{}' förekommer redan på en tidigare rad; raden avvisas.", pl.col(key)), key)
    return df.sort("_rad").filter(~later), f


def reject_bad_intervals(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    out, findings = dict(frames), []
    for name, a, b in (("bestallningar", "giltig_fran", "giltig_till"), ("uppehall", "fran", "till")):
        df = frames[name]
        bad = pl.col(b).is_not_null() & (pl.col(b) < pl.col(a))
        hit = df.filter(bad)
        if hit.height:
            findings.append(av.from_rows("ogiltigt-intervall", hit, f"'{b}' ligger före '{a}'; raden avvisas.", b))
            out[name] = df.filter(~bad)
    return out, av.concat(findings)

