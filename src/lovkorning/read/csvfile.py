"""CSV into string frames: the columnar fast path (polars from disk, a memory-mapped scan for quotes
and NUL bytes in the background), and Python's csv module only to explain, or to read exactly, a
file polars refuses or miscounts.
"""

from __future__ import annotations

import csv
import io
import mmap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..core.errors import Fel, InputError, Plats
from .sniff import (END_OF_LINE, LINE_BREAK, MAX_HEADER_CHARS, check_header_line, check_header_names, listed,
                    long_header, nul_error, safe_name, sniff_separator)


POLARS_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException)   # a panic is a BaseException


def read_csv_text(text: str, fil: str) -> pl.DataFrame:
    if not text or text.isspace():
        raise InputError(Fel("Filen är tom: rubrikraden saknas.", Plats(fil, 1)))
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(nul_error(text, nul, fil))
    end = END_OF_LINE.search(text, 0, MAX_HEADER_CHARS + 1)
    if end is None and len(text) > MAX_HEADER_CHARS:
        raise long_header(fil)
    header_line = text[: end.start() if end else len(text)]
    check_header_line(header_line, fil)
    sep = sniff_separator(header_line)
    check_header_names(next(csv.reader([header_line.rstrip("\r")], delimiter=sep), []), fil)
    if text.startswith("\r", len(header_line)) and not text.startswith("\r\n", len(header_line)):
        return read_csv_exactly(text, sep, fil)     # lines end in CR alone (old Mac): polars would see one line
    buf = io.BytesIO(text.encode("utf-8"))
    try:
        df = pl.read_csv(buf, separator=sep, infer_schema=False, raise_if_empty=False)
    except POLARS_ERRORS:
        return read_csv_exactly(text, sep, fil)     # explains the problem, or reads what polars would not
    lines = text.count("\n") + (not text.endswith("\n"))
    if df.height != lines - 1:      # a quoted field spans lines, or lines end in CR alone: number rows exactly
        return read_csv_exactly(text, sep, fil)
    # Number the lines first, then drop blank lines (no values at all), as the Excel reader does:
    # a trailing empty line is not a row with every required value missing.
    df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    return drop_blank_rows(df)


@dataclass(frozen=True)
class Scan:
    """What a pass over a file's bytes found, beside the parser."""
    quoted: bool            # a '"' anywhere: a quoted field may span lines
    has_nul: bool


def scan_file(path: Path) -> Scan:
    """Look for quotes and NUL bytes in the whole file (memchr over a memory map: no copy in
    Python, a few hundredths of a second for a Stockholm tag log)."""
    with path.open("rb") as f:
        if not path.stat().st_size:
            return Scan(False, False)
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return Scan(m.find(b'"') >= 0, m.find(b"\x00") >= 0)
SCANNING = ThreadPoolExecutor(1, thread_name_prefix="scan")


def count_lines(path: Path, chunk: int = 1 << 24) -> int:
    """Lines as polars splits them: line feeds, plus a last line without one."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while block := f.read(chunk):
            n, last = n + block.count(b"\n"), block[-1:]
    return n + (last != b"\n")


def _fast_header(head: bytes, fil: str, coded: dict[str, pl.DataType] | None) -> tuple[str, dict] | None:
    """(separator, Categorical overrides) when the file's start allows the fast path: UTF-8 (with or
    without BOM), a header line ending in LF or CR LF, not blank. None otherwise."""
    bom = 3 if head.startswith(b"\xef\xbb\xbf") else 0        # polars skips it itself
    if not head[bom:].strip() or head.startswith((b"\xff\xfe", b"\xfe\xff"), bom) or b"\x00" in head:
        return None
    end = head.find(b"\n", bom, bom + MAX_HEADER_CHARS + 1)
    if end < 0 or b"\r" in head[bom:end].rstrip(b"\r"):
        return None
    try:
        header_line = head[bom:end].rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    check_header_line(header_line, fil)
    sep = sniff_separator(header_line)
    names = next(csv.reader([header_line], delimiter=sep), [])
    check_header_names(names, fil)
    coded = coded or {}
    return sep, {n: coded[n.strip().lower()] for n in names if n.strip().lower() in coded}


def read_csv_utf8(path: Path, head: bytes, fil: str, coded: dict[str, pl.DataType] | None = None,
                  after: dict[str, pl.DataType] | None = None) -> pl.DataFrame | None:
    """The fast path for the common case, a UTF-8 file (with or without BOM) that polars reads as
    it is, from the file (no copy in Python), while a thread checks the whole file for quotes
    and NUL bytes (scan_file). None when the file needs the careful path (another encoding, NUL
    bytes, CR-only lines, quoted line breaks, anything polars refuses).
    `coded`: the (lower-case) names of columns to read dictionary-encoded, with their Categorical
    types: those with few distinct values in a large file. `after`: the same for columns with too
    many values for the reader's dictionary, cast on the reader's chunks (one_chunk)."""
    fast = _fast_header(head, fil, coded)
    if fast is None:
        return None
    sep, overrides = fast
    scan = SCANNING.submit(scan_file, path)
    try:
        df = pl.read_csv(path, separator=sep, infer_schema=False, raise_if_empty=False,
                         schema_overrides=overrides or None)
    except POLARS_ERRORS:
        return None
    found = scan.result()
    # Without quotes every line is one row: polars splits on line feeds only and keeps blank lines
    # as empty rows (dropped below, after numbering). With quotes a field may span lines: count them.
    if found.has_nul or (found.quoted and df.height != count_lines(path) - 1):
        return None
    df = one_chunk(df, after or {})
    df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    return drop_blank_rows(df)


def one_chunk(df: pl.DataFrame, cast: dict[str, pl.DataType]) -> pl.DataFrame:
    """`df` with the reader's chunks joined into one per column (later stages are slower on
    chunks), the columns named in `cast` (lower case) cast first. In place, a column at a time, so
    each column's chunks are freed before the next is copied and no other frame keeps them: joined
    whole, a Sweden tag log (39 M rows, 1 464 chunks, three text columns of tens of thousands of
    values or more) held 8.3 GiB for a 4.9 GiB frame. The casts (to a dictionary, one core each
    and most of the time here) run two at a time, one in the scanning thread: a cast's result is
    a column of codes, a fraction of the text it replaces."""
    todo = [(i, name, to) for i, name in enumerate(df.columns)
            if (to := cast.get(name.strip().lstrip("\ufeff").lower())) is not None]
    beside = SCANNING.submit(df.get_column(todo[0][1]).cast, todo[0][2]) if len(todo) > 1 else None
    for i, name, to in todo[1:] if beside else todo:
        df.replace_column(i, df.get_column(name).cast(to))
    if beside:
        df.replace_column(todo[0][0], beside.result())
    for i, name in enumerate(df.columns):
        if df.get_column(name).n_chunks() > 1:
            df.replace_column(i, df.get_column(name).rechunk())
    return df


def drop_blank_rows(df: pl.DataFrame) -> pl.DataFrame:
    """Blank lines (no values at all) are not rows; filter only when there are any (a copy of a
    large frame is not free)."""
    blank = pl.all_horizontal(pl.exclude("_rad").is_null())
    return df.filter(~blank) if df.select(blank.any()).item() else df


def read_csv_exactly(text: str, sep: str, fil: str) -> pl.DataFrame:
    """The slow path, for files polars refuses or whose lines are not rows: Python's csv module,
    strict about quotes, with each record's first line. Rows with more fields than the header and
    quotes that never close stop the run naming the row; a quote inside an unquoted field (Omsorg
    "Solen" AB) is read as a character, as Excel does."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    names: list[str] = []
    rows: list[list[str | None]] = []
    too_many: list[int] = []
    start = 1
    try:
        names = next(reader, [])
        start = reader.line_num + 1
        for rec in reader:
            if len(rec) > len(names):
                too_many.append(start)
            elif any(v != "" for v in rec):
                rows.append([v if v != "" else None for v in rec] + [None] * (len(names) - len(rec)) + [start])
            start = reader.line_num + 1
    except csv.Error:
        raise InputError(_quote_error(text, sep, start, names, fil)) from None
    if too_many:
        raise listed([Fel(f"Raden har fler fält än rubrikraden ({len(names)}).", Plats(fil, r)) for r in too_many], fil)
    cols = [n if n.strip() else f"_tom{i}" for i, n in enumerate(names)]
    return pl.DataFrame(rows, schema={**{c: pl.String for c in cols}, "_rad": pl.Int64}, orient="row")


def _quote_error(text: str, sep: str, line: int, names: list[str], fil: str) -> Fel:
    """The record starting on `line` broke the quoting rules: say which field and how."""
    pos = 0
    for _, m in zip(range(line - 1), LINE_BREAK.finditer(text)):
        pos = m.end()
    field, kind = _scan_quotes(text, pos, sep)
    col = safe_name(names[field]) if field is not None and field < len(names) else None
    if kind == "open":
        msg = ('Ett citattecken (") öppnar ett fält som aldrig stängs; resten av filen skulle bli ett enda fält. '
               "Ta bort citattecknet eller stäng fältet.")
    elif kind == "after":
        msg = f'Efter ett avslutande citattecken (") ska avgränsaren ({_sep_name(sep)}) eller radslut komma.'
    else:
        msg = "Raden kan inte läsas som CSV (kontrollera citattecken och avgränsare)."
    return Fel(msg, Plats(fil, line, col or None))


def _sep_name(sep: str) -> str:
    return {"\t": "tabb", ";": "semikolon", ",": "komma"}.get(sep, sep)


def _scan_quotes(text: str, pos: int, sep: str) -> tuple[int | None, str | None]:
    """Walk one record from `pos`: (field index, 'open' | 'after') of its first quoting error."""
    field, at_start, n = 0, True, len(text)
    while pos < n:
        ch = text[pos]
        if at_start and ch == '"':
            close = pos + 1
            while True:
                close = text.find('"', close)
                if close < 0:
                    return field, "open"
                if text.startswith('""', close):
                    close += 2
                    continue
                break
            nxt = text[close + 1: close + 2]
            if nxt not in (sep, "\n", "\r", ""):
                return field, "after"
            pos, at_start = close + 1, False
            continue
        if ch == sep:
            field, at_start = field + 1, True
        elif ch in "\r\n":
            return None, None
        else:
            at_start = False
        pos += 1
    return None, None
