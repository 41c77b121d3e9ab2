"""Reading input files into string frames that remember where every row came from.

Accepted without configuration (contract §1): CSV in UTF-8 (with or without BOM), UTF-16 with
BOM, or Windows-1252; separators `;`, `,` and tab (sniffed from the header line); `.xlsx` (first
sheet, header on row 1). Column names are case-insensitive and may be renamed by the config.
Every frame gets `_fil` (file name) and `_rad` (the row's line in the file, header = 1).
Problems that stop the run (missing file or column, undecodable bytes) raise InputError.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from .errors import Fel, InputError, Plats

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
SEPARATORS = (";", "\t", ",")


@dataclass(frozen=True)
class Source:
    """One input file as read: for the manifest and for messages."""
    name: str           # the base name (taggningar …)
    path: Path
    sha256: str
    rows: int


def locate(directory: Path, base: str, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit if explicit.exists() else None
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.iterdir() if p.stem.lower() == base and p.suffix.lower() in EXTENSIONS)
    if len(found) > 1:
        raise InputError(Fel(f"Flera filer för '{base}': {', '.join(p.name for p in found)}. Behåll en.", Plats(str(directory))))
    return found[0] if found else None


def decode(data: bytes, fil: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(Fel("Filen börjar som UTF-16 men kan inte avkodas.", Plats(fil))) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Fel("Okänd teckenkodning: filen är varken UTF-8 eller Windows-1252.", Plats(fil, line))) from None


def sniff_separator(header: str) -> str:
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ";"


def read_csv_text(text: str, fil: str) -> pl.DataFrame:
    if not text.strip():
        raise InputError(Fel("Filen är tom: rubrikraden saknas.", Plats(fil, 1)))
    sep = sniff_separator(text.split("\n", 1)[0])
    buf = io.BytesIO(text.encode("utf-8"))
    try:
        df = pl.read_csv(buf, separator=sep, infer_schema=False, raise_if_empty=False)
    except pl.exceptions.ComputeError:
        _raise_ragged(text, sep, fil)
        raise
    # Number the lines first, then drop blank lines (no values at all), as the Excel reader does:
    # a trailing empty line is not a row with every required value missing.
    df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    return df.filter(~pl.all_horizontal(pl.exclude("_rad").is_null()))


def _raise_ragged(text: str, sep: str, fil: str) -> None:
    """Find rows with more fields than the header (only when polars refused the file)."""
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    except csv.Error:
        records = []
    width = len(records[0]) - 1 if records else 0
    bad, line = [], 1          # count lines, not records: a quoted field may hold a newline
    for rec in records:
        if len(rec) > width + 1:
            bad.append(line)
        line += sum(f.count("\n") for f in rec) + 1
    if bad:
        errors = [Fel(f"Raden har fler fält än rubrikraden ({width + 1}).", Plats(fil, r)) for r in bad[:20]]
        if len(bad) > 20:
            errors.append(Fel(f"… och ytterligare {len(bad) - 20} sådana rader.", Plats(fil)))
        raise InputError(errors)
    raise InputError(Fel("Filen kan inte läsas som CSV (kontrollera citattecken och avgränsare).", Plats(fil)))


def _cell_text(v: object, fmt: str | None = None) -> str | None:
    if v is None:
        return None
    if isinstance(v, datetime):   # a date cell, unless it has a time or is formatted with one (00:00 is a time)
        timed = (v.hour, v.minute, v.second) != (0, 0, 0) or "h" in (fmt or "").lower()
        return v.strftime("%Y-%m-%d %H:%M:%S") if timed else v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, time):
        return v.strftime("%H:%M:%S")
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_xlsx(path: Path, fil: str) -> pl.DataFrame:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise InputError(Fel("Excelfilen kan inte öppnas (skadad eller inte .xlsx).", Plats(fil))) from None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=False)
    header = next(rows, None)
    if not header or all(c.value is None for c in header):
        raise InputError(Fel("Filen är tom: rubrikraden saknas.", Plats(fil, 1)))
    names = [str(c.value).strip() if c.value is not None else f"_tom{i}" for i, c in enumerate(header)]
    data: list[list[str | None]] = []
    formulas: list[Fel] = []
    for r, row in enumerate(rows, start=2):
        vals = []
        for i, c in enumerate(row[: len(names)]):
            if getattr(c, "data_type", None) == "f":
                formulas.append(Fel("Cellen innehåller en formel; spara värden, inte formler.", Plats(fil, r, names[i])))
            vals.append(_cell_text(c.value, getattr(c, "number_format", None)))
        vals += [None] * (len(names) - len(vals))
        if any(v not in (None, "") for v in vals):
            data.append(vals + [r])
    wb.close()
    if formulas:
        raise InputError(formulas[:20])
    return pl.DataFrame(data, schema={**{n: pl.String for n in names}, "_rad": pl.Int64}, orient="row")


def normalize_columns(df: pl.DataFrame, mapping: dict[str, str], fil: str) -> pl.DataFrame:
    """Lower-case headers; apply the config's {our_name: their_name} renaming."""
    lower = {c: c.strip().lstrip("\ufeff").lower() for c in df.columns}
    theirs = {v.strip().lower(): k for k, v in mapping.items()}
    renamed = {c: theirs.get(low, low) for c, low in lower.items()}
    seen: dict[str, str] = {}
    for orig, new in renamed.items():
        if new in seen:
            raise InputError(Fel(f"Kolumnen '{new}' förekommer flera gånger.", Plats(fil, 1, orig)))
        seen[new] = orig
    return df.rename(renamed)


def read_table(path: Path, base: str, mapping: dict[str, str]) -> tuple[pl.DataFrame, Source]:
    """A file as strings, with `_fil` and `_rad`."""
    fil = path.name
    try:
        data = path.read_bytes()
    except OSError:
        raise InputError(Fel("Filen kan inte läsas.", Plats(str(path)))) from None
    digest = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() == ".xlsx":
        df = read_xlsx(path, fil)
    else:
        df = read_csv_text(decode(data, fil), fil)
    df = normalize_columns(df, mapping, fil)
    if "_rad" not in df.columns:
        df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    df = df.with_columns(pl.lit(fil).alias("_fil"))
    return df, Source(base, path, digest, df.height)


def require_columns(df: pl.DataFrame, required: list[str], fil: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputError([Fel(f"Obligatorisk kolumn '{c}' saknas.", Plats(fil, 1, c)) for c in missing])
