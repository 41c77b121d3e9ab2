"""How the config maps a month's files (`lovkorning validate --map`): for each file, each of our
columns and where it comes from, the file's columns nothing maps, the first rows as read, the
values that could not be read, and what stops the run. It reads as `read_month` does, step by
step, and keeps going after a problem where it can, so a new export's mapping shows whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..config.loaded import LoadedConfig
from ..config.schema import INPUT_FILES
from ..core import avvikelser as av
from ..core.errors import Fel, InputError, LovError, Plats
from ..core.ids import mask_personnummer
from ..core.localtime import TZ
from ..core.period import Period
from .besok import with_length
from .indata import REQUIRED_FILES
from .files import locate, normalize_columns, read_table, require_columns
from .formats import apply_formats, hints
from .layout import check_renamed
from .parse import INSTEAD, SPECS, parse_frame, required_columns

HEAD_ROWS = 5


@dataclass
class Mapped:
    ours: str
    source: str | None          # the file's column (or day + time columns); None: not in the file
    note: str = ""              # saknas, valfri, värden …


@dataclass
class FileMap:
    name: str
    path: Path | None
    layout: list[str] = field(default_factory=list)
    columns: list[Mapped] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    head: pl.DataFrame | None = None        # the first rows as read, as text for the terminal
    rows: int = 0
    findings: pl.DataFrame = field(default_factory=av.empty)   # values that could not be read
    problems: list[Fel] = field(default_factory=list)          # what stops the run


def map_month(cfg: LoadedConfig, period: Period) -> list[FileMap]:
    """Every input file of the month, as the config maps it (of `taggningar` and `besok`, the one
    the month has; both is a problem of the visit file)."""
    paths = {n: locate(cfg.input_dir(period.label), n, cfg.input_path(n, period.label)) for n in INPUT_FILES}
    out = []
    for name in INPUT_FILES:
        if name == "besok" and paths["besok"] is None or name == "taggningar" and paths["besok"] is not None \
                and paths["taggningar"] is None:
            continue
        fm = map_file(cfg, period, name, paths[name])
        if name == "besok" and paths["taggningar"] is not None:
            fm.problems.insert(0, Fel(f"Månaden har både taggningar ({paths['taggningar'].name}) och besök "
                                      f"({paths['besok'].name}): en månad har det ena eller det andra.",
                                      Plats(paths["besok"].name)))
        out.append(fm)
    return out


def _layout(cfg: LoadedConfig, name: str, path: Path) -> list[str]:
    fmt = cfg.cfg.inputs.format.get(name)
    parts = [f"blad '{fmt.sheet}'" if fmt and fmt.sheet else ("första bladet" if path.suffix.lower() == ".xlsx" else "")]
    rows = fmt.header_row if fmt else (1,)
    parts.append(f"rubrikrad {rows[0]}" if len(rows) == 1 else f"rubrikrader {rows[0]}–{rows[-1]}")
    if fmt and fmt.footer_rows:
        parts.append(f"de sista {fmt.footer_rows} raderna läses inte")
    if fmt and fmt.skip_matching:
        parts.append(f"rader som matchar '{fmt.skip_matching}' läses inte")
    return [p for p in parts if p]


def map_file(cfg: LoadedConfig, period: Period, name: str, path: Path | None) -> FileMap:
    inputs = cfg.cfg.inputs
    fm = FileMap(name, path)
    if path is None:
        if name in REQUIRED_FILES:
            also = " (eller besöksfilen 'besok')" if name == "taggningar" else ""
            fm.problems.append(Fel(f"Indatafilen '{name}'{also} saknas (csv eller xlsx).",
                                   Plats(str(cfg.input_path(name, period.label) or cfg.input_dir(period.label)))))
        return fm
    fm.layout = _layout(cfg, name, path)
    fmt, fil = inputs.format.get(name), path.name
    configured = dict(inputs.columns.get(name, {}))
    mapping = dict(configured)
    header = (fmt.header_row if fmt else (1,))[-1]
    try:
        raw, _ = read_table(path, name, mapping, (), fmt, rename=False)
    except LovError as exc:
        fm.problems = list(exc.fel)
        return fm
    theirs = [c for c in raw.columns if not c.startswith("_")]
    by_lower = {c.strip().lstrip("\ufeff").lower(): c for c in theirs}
    try:
        check_renamed(raw.columns, mapping, name, fil, header)
    except InputError as exc:
        fm.problems += exc.fel
        mapping = {k: v for k, v in mapping.items() if v.strip().lower() in by_lower}
    try:
        df = normalize_columns(raw, mapping, fil)
    except InputError as exc:
        fm.problems += exc.fel
        return fm
    used = {v.strip().lower() for v in mapping.values()}
    days = {c: d.strip().lower() for c, d in (fmt.date_columns.items() if fmt else [])}
    fm.columns = _columns(name, df.columns, configured, by_lower, fmt, inputs.values.get(name, {}))
    fm.unmapped = [c for low, c in by_lower.items() if low not in used and low not in days.values()
                   and (low not in {s.name for s in SPECS[name]} or low in {k for k in mapping})]
    try:
        if fmt is not None or name == "besok":
            df = apply_formats(name, df, fmt, path.suffix.lower() == ".xlsx", fil, mapping)
    except InputError as exc:
        fm.problems += exc.fel
    try:
        require_columns(df, required_columns(name, df.columns), fil, header)
    except InputError as exc:
        fm.problems += exc.fel
        return fm
    typed, fm.findings = parse_frame(name, df, period.end, inputs.values.get(name), hints(name, fmt))
    if name == "utforare":       # an error in the register stops the run
        fm.problems += [Fel(r["meddelande"], Plats(r["fil"], r["rad"], r["kolumn"]))
                        for r in fm.findings.filter(pl.col("allvarlighet") == "fel").iter_rows(named=True)]
    if name == "besok":
        try:
            typed = with_length(typed)
        except InputError as exc:
            fm.problems += exc.fel
    fm.rows = df.height
    fm.head = shown(name, typed.sort("_rad").head(HEAD_ROWS))
    return fm


def _columns(name: str, present: list[str], mapping: dict[str, str], by_lower: dict[str, str], fmt,
             values: dict[str, dict[str, str]]) -> list[Mapped]:
    out = []
    for c in SPECS[name]:
        source = mapping.get(c.name) or (by_lower.get(c.name) if c.name in present else None)
        notes = [] if source is None or source.strip().lower() in by_lower else ["finns inte i filen"]
        if fmt and c.name in fmt.fixed:
            notes += ["även i filen: tvetydigt"] if source is not None else []
            source = f"fast värde '{fmt.fixed[c.name]}'"
        if fmt and c.name in fmt.date_columns:
            source = f"{fmt.date_columns[c.name]} + {source or '(saknas)'}"
            notes.append(f"datum {fmt.date or 'ÅÅÅÅ-MM-DD'}, klockslag {fmt.time or 'TT:MM'}")
        elif fmt and c.kind == "datetime" and fmt.datetime:
            notes.append(f"format {fmt.datetime}")
        elif fmt and c.kind == "date" and fmt.date:
            notes.append(f"format {fmt.date}")
        if fmt and c.kind == "list" and fmt.list_separator:
            notes.append("avgränsare " + " ".join(repr(s) for s in fmt.list_separator) + " och '|'")
        if values.get(c.name):
            notes.append("värden " + ", ".join(f"{k} → {v}" for k, v in values[c.name].items()))
        instead = INSTEAD.get((name, c.name))
        if source is None:
            if instead and instead in present:
                notes.append(f"saknas: '{instead}' används i stället")
            else:
                notes.append("saknas" + ("" if c.required or c.column else " (valfri)"))
        out.append(Mapped(c.name, source, "; ".join(notes)))
    return out


def shown(name: str, typed: pl.DataFrame) -> pl.DataFrame:
    """Typed rows as the terminal shows them: local time, lists as 'a|b', ja/nej, minutes, and
    every personnummer masked."""
    kinds = {c.name: c.kind for c in SPECS[name]}
    cols = [pl.col("_rad").cast(pl.String).alias("rad")]
    for c in [c for c in typed.columns if not c.startswith("_")]:
        ours = c.removesuffix("_milli")
        kind, e = kinds.get(ours), pl.col(c)
        if kind == "datetime":
            e = e.dt.convert_time_zone(TZ).dt.strftime("%Y-%m-%d %H:%M:%S")
        elif kind == "list":
            e = e.list.join("|")
        elif kind == "bool":
            e = pl.when(e).then(pl.lit("ja")).otherwise(pl.lit("nej"))
        elif kind == "minutes":
            e = pl.when(e % 1000 == 0).then((e // 1000).cast(pl.String)).otherwise((e / 1000).cast(pl.String))
        elif kind == "pnr":
            e = e.map_elements(mask_personnummer, return_dtype=pl.String)
        cols.append(e.cast(pl.String).alias(ours))
    return typed.select(cols)


def stops(maps: list[FileMap]) -> list[Fel]:
    """What would stop a run."""
    return [f for m in maps for f in m.problems]
