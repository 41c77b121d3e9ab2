"""Reading input files into string frames that remember where every row came from.

Accepted without configuration (contract §1): CSV in UTF-8 (with or without BOM), UTF-16 with
BOM, or Windows-1252; separators `;`, `,` and tab (sniffed from the header line); `.xlsx` (first
sheet, header on row 1). Column names are case-insensitive and may be renamed by the config.
Every frame gets `_fil` (file name) and `_rad` (the row's line in the file, header = 1). Columns
the caller names as `coded` (a tag log's ids and enums: few distinct values, millions of rows)
come back Categorical (codes.coded_dtype) from the fast path; indata casts them the same way on
the careful paths.
Problems that stop the run (missing file or column, undecodable bytes, a file that is not what
its name says) raise InputError naming the file and, where there is one, the row and column.
Nothing below lets an exception from polars, zip or XML reach the user as a traceback.

Broken files are recognised before they are read whole: the first 64 KiB of a CSV are checked
for NUL bytes (binary data, UTF-16 without BOM, a zip) and for a line break, so a 2 GB file of
garbage is refused in milliseconds. The normal path stays columnar: polars reads the file from
disk, a memory-mapped search looks for quotes and NUL bytes, and a background thread hashes it
for the manifest while the month is settled; Python's csv module is used only to explain, or to
read exactly, a file polars refuses or miscounts.
"""

from __future__ import annotations

import csv
import hashlib
import io
import mmap
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from .core.codes import coded_dtype
from .core.errors import HIDDEN, PNR_LIKE, Fel, InputError, LovError, Plats

EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")
SEPARATORS = (";", "\t", ",")
HEAD_BYTES = 64 * 1024          # looked at before a file is read whole
MAX_HEADER_CHARS = 64 * 1024    # a longer first line is not a header
MAX_LISTED = 20                 # problems of one kind listed per file

UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # .xls, and password-protected .xlsx
UTF8_MULTIBYTE = re.compile(     # one well-formed UTF-8 character of two to four bytes (RFC 3629)
    rb"[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]"
    rb"|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}")
END_OF_LINE = re.compile(r"[\r\n]")
SEP_HINT = re.compile(r"(?i)^sep=.?$")                # Excel's "sep=;" line before the header
LINE_BREAK = re.compile(r"\r\n|\r|\n")             # as the csv module counts lines
POLARS_ERRORS = (pl.exceptions.PolarsError, pl.exceptions.PanicException)   # a panic is a BaseException


@dataclass(frozen=True)
class Source:
    """One input file as read: for the manifest and for messages. `digest` is the file's SHA-256,
    or a Future of it while a background thread is still hashing (read `sha256`)."""
    name: str           # the base name (taggningar …)
    path: Path
    digest: "str | Future[str]"
    rows: int

    @property
    def sha256(self) -> str:
        return self.digest if isinstance(self.digest, str) else self.digest.result()


def locate(directory: Path, base: str, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit if explicit.exists() else None
    if not directory.is_dir():
        return None
    found = sorted(p for p in directory.iterdir() if p.stem.lower() == base and p.suffix.lower() in EXTENSIONS)
    if len(found) > 1:
        raise InputError(Fel(f"Flera filer för '{base}': {', '.join(p.name for p in found)}. Behåll en.", Plats(str(directory))))
    return found[0] if found else None


# ---------------------------------------------------------------- bytes: what kind of file is this?

def _safe(name: str) -> str:
    """A column name fit for a message: a headerless file has data (maybe a personnummer) in row 1."""
    name = name.strip().lstrip("\ufeff")
    return HIDDEN if PNR_LIKE.search(name) else name


def _where(buf: bytes | str, pos: int) -> tuple[int, str | None]:
    """(line, column name) of position `pos`; the column is counted from the separators on the line
    (quotes aside: good enough to point at a bad byte) and named from the first line."""
    nl, cr = ("\n", "\r") if isinstance(buf, str) else (b"\n", b"\r")
    line = buf.count(nl, 0, pos) + 1
    first_end = buf.find(nl)
    header = buf[: first_end if first_end >= 0 else len(buf)].rstrip(cr)
    if isinstance(header, bytes):
        header = header.removeprefix(b"\xef\xbb\xbf")
        try:
            header = header.decode("utf-8")
        except UnicodeDecodeError:
            header = header.decode("cp1252", errors="replace")
    header = header.lstrip("\ufeff")
    sep = sniff_separator(header)
    names = header.split(sep)
    if line == 1 or len(names) < 2 or not header.replace(sep, "").isprintable():
        return line, None           # no header to name a column by (a binary file, say)
    start = buf.rfind(nl, 0, pos) + 1
    before = buf[start:pos]
    index = before.count(sep if isinstance(buf, str) else sep.encode())
    return line, (_safe(names[index]) or None) if index < len(names) else None


def check_text_head(head: bytes, size: int, fil: str) -> None:
    """Refuse a file that is not CSV text from its first bytes, before reading it whole."""
    if head.startswith(UTF16_BOMS):
        return                                      # UTF-16 text has NUL bytes; decode() checks it
    if head.startswith(ZIP_MAGIC):
        raise InputError(Fel("Filen är en Excel- eller zip-fil, inte en textfil (CSV). Spara den som CSV, "
                             "eller ge den filändelsen .xlsx om den är en Excelfil.", Plats(fil)))
    if head.startswith(OLE_MAGIC):
        raise InputError(Fel("Filen är i Excels gamla format (.xls) eller lösenordsskyddad, inte en textfil (CSV). "
                             "Spara den som CSV eller .xlsx utan lösenord.", Plats(fil)))
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputError(_nul_error(head, nul, fil))
    if size > len(head) and b"\n" not in head and b"\r" not in head:
        raise InputError(_long_header(fil))


def _nul_error(buf: bytes | str, pos: int, fil: str) -> Fel:
    text = "Filen är inte en textfil: den innehåller NUL-tecken (byte 0x00)"
    if isinstance(buf, bytes) and _looks_like_utf16(buf):
        text += ". Den ser ut att vara sparad som UTF-16 utan byteordningsmärke (BOM); spara den som UTF-8"
    else:
        text += ", till exempel en binärfil, en avbruten kopiering eller en fil fylld med nollor"
    line, col = _where(buf, pos)
    return Fel(text + ". Det första NUL-tecknet står här.", Plats(fil, line, col if line > 1 else None))


def _looks_like_utf16(head: bytes) -> bool:
    """ASCII text in UTF-16: every other byte is NUL, all on one side."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) >= 0.8 * len(sample) // 2 and min(even, odd) <= 0.02 * len(sample)


def check_header_line(line: str, fil: str) -> None:
    """Line 1 must be the header. A blank line: polars would skip it and number every row too
    low, the csv module would take it as a header of no columns and refuse every row. 'sep=;':
    Excel's separator hint, which would be taken as a one-column header."""
    if not line.strip():
        raise InputError(Fel("Rad 1 är tom: rubrikraden ska stå på rad 1.", Plats(fil, 1)))
    if SEP_HINT.match(line.strip()):
        raise InputError(Fel(f"Rad 1 är '{line.strip()}', en rad som Excel lägger till före rubrikraden: ta bort "
                             "den, så att rubrikraden står på rad 1.", Plats(fil, 1)))


def _long_header(fil: str) -> InputError:
    return InputError(Fel(f"Rubrikraden är längre än {MAX_HEADER_CHARS // 1024} KiB (ingen radbrytning i filens början): "
                          "filen är inte en CSV-fil med kolumnnamn på rad 1.", Plats(fil, 1)))


def decode(data: bytes, fil: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
            raise InputError(Fel("Filen börjar som UTF-16 men kan inte avkodas.", Plats(fil, line))) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        not_utf8 = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line, col = _where(data, exc.start)
        where = f" i kolumnen '{col}'" if col else ""
        raise InputError(Fel(f"Byte 0x{data[exc.start]:02X}{where} kan inte avkodas: filen är varken UTF-8 eller "
                             "Windows-1252 (okänd teckenkodning). Spara den som UTF-8.", Plats(fil, line))) from None
    # Windows-1252, unless it also holds a well-formed UTF-8 multibyte sequence: then parts were saved
    # as UTF-8 and others as Windows-1252 (rows appended by another program), and reading it all as
    # Windows-1252 would turn 'Åsa' into 'Ã…sa' in payments and sheets. A Windows-1252 file practically
    # never holds such a sequence in Swedish text: it takes a capital accented letter followed by a
    # symbol or punctuation byte (0x80-0xBF: €, ‚, –, NBSP, §, °, »), or a lower-case one by two.
    # Only files that are not UTF-8 get here: the search costs the common case nothing.
    utf8 = UTF8_MULTIBYTE.search(data)
    if utf8 is not None:
        line, col = _where(data, not_utf8)
        first = data.count(b"\n", 0, utf8.start()) + 1
        raise InputError(Fel(f"Filen blandar teckenkodningar: den är UTF-8 (till exempel rad {first}) men byte "
                             f"0x{data[not_utf8]:02X} här är inte UTF-8 (troligen Windows-1252). "
                             "Spara hela filen som UTF-8.", Plats(fil, line, col))) from None
    return text


# ---------------------------------------------------------------- CSV

def sniff_separator(header: str) -> str:
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ";"


def check_header_names(names: list[str], fil: str) -> None:
    """The same column twice (ignoring case) is ambiguous: which one holds the value?"""
    seen: dict[str, int] = {}
    errors = []
    for i, name in enumerate(names, start=1):
        key = name.strip().lstrip("\ufeff").lower()
        if not key:
            continue
        if key in seen:
            errors.append(Fel(f"Kolumnen '{_safe(name)}' förekommer flera gånger (kolumn {seen[key]} och {i}); "
                              "ta bort eller byt namn på den ena.", Plats(fil, 1, _safe(name))))
        else:
            seen[key] = i
    if errors:
        raise InputError(errors[:MAX_LISTED])


def read_csv_text(text: str, fil: str) -> pl.DataFrame:
    if not text or text.isspace():
        raise InputError(Fel("Filen är tom: rubrikraden saknas.", Plats(fil, 1)))
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(_nul_error(text, nul, fil))
    end = END_OF_LINE.search(text, 0, MAX_HEADER_CHARS + 1)
    if end is None and len(text) > MAX_HEADER_CHARS:
        raise _long_header(fil)
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


def hash_file(path: Path) -> str:
    """The file's SHA-256 (hashlib releases the GIL: it runs beside polars, in a thread)."""
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except OSError as exc:
        raise InputError(Fel(_os_reason(exc), Plats(str(path)))) from None


# Input files are hashed in the background while the month is read and settled; the digests are
# awaited only when the run id or the manifest needs them (Source.sha256). Scanning has a thread
# of its own, so it never waits behind a large file's hash.
HASHING = ThreadPoolExecutor(1, thread_name_prefix="sha256")
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


def read_csv_utf8(path: Path, head: bytes, fil: str, coded: dict[str, pl.DataType] | None = None) -> pl.DataFrame | None:
    """The fast path for the common case, a UTF-8 file (with or without BOM) that polars reads as
    it is, from the file (no copy in Python), while a thread checks the whole file for quotes
    and NUL bytes (scan_file). None when the file needs the careful path (another encoding, NUL
    bytes, CR-only lines, quoted line breaks, anything polars refuses).
    `coded`: the (lower-case) names of columns to read dictionary-encoded, with their Categorical
    types: those with few distinct values in a large file."""
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
    df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    return drop_blank_rows(df)


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
        errors = [Fel(f"Raden har fler fält än rubrikraden ({len(names)}).", Plats(fil, r)) for r in too_many[:MAX_LISTED]]
        if len(too_many) > MAX_LISTED:
            errors.append(Fel(f"… och ytterligare {len(too_many) - MAX_LISTED} sådana rader.", Plats(fil)))
        raise InputError(errors)
    cols = [n if n.strip() else f"_tom{i}" for i, n in enumerate(names)]
    return pl.DataFrame(rows, schema={**{c: pl.String for c in cols}, "_rad": pl.Int64}, orient="row")


def _quote_error(text: str, sep: str, line: int, names: list[str], fil: str) -> Fel:
    """The record starting on `line` broke the quoting rules: say which field and how."""
    pos = 0
    for _, m in zip(range(line - 1), LINE_BREAK.finditer(text)):
        pos = m.end()
    field, kind = _scan_quotes(text, pos, sep)
    col = _safe(names[field]) if field is not None and field < len(names) else None
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


# ---------------------------------------------------------------- Excel

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


MERGE_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="([A-Z]{1,3}[0-9]+(?::[A-Z]{1,3}[0-9]+)?)"')


def _open_workbook(path: Path, head: bytes, fil: str):
    """openpyxl's read-only workbook, or an InputError saying what the file really is."""
    import zipfile

    from openpyxl import load_workbook

    if head.startswith(OLE_MAGIC):
        raise InputError(Fel("Filen är i Excels gamla format (.xls) eller lösenordsskyddad. "
                             "Spara den som .xlsx utan lösenord.", Plats(fil)))
    if not head.startswith(ZIP_MAGIC):
        text = b"\x00" not in head[:4096] and len(head) > 0
        raise InputError(Fel("Filen heter .xlsx men är ingen Excelfil" + (
            " (den ser ut som text; är det en CSV-fil? Byt då filändelsen till .csv)." if text else "."), Plats(fil)))
    try:
        with zipfile.ZipFile(path) as z:
            members = {n.lower() for n in z.namelist()}
    except (zipfile.BadZipFile, OSError):
        raise InputError(Fel("Excelfilen är skadad: zip-arkivet kan inte läsas (avbruten kopiering eller "
                             "nedladdning?).", Plats(fil))) from None
    if "xl/workbook.xml" not in members:
        raise InputError(Fel("Filen är en zip-fil men ingen Excelarbetsbok (xl/workbook.xml saknas).", Plats(fil)))
    try:
        return load_workbook(path, read_only=True, data_only=False)
    except Exception:
        raise InputError(Fel("Excelfilen kan inte öppnas (skadad eller inte .xlsx).", Plats(fil))) from None


def _merged_ranges(ws, path: Path) -> list[str]:
    """The first sheet's merged ranges. Read-only worksheets do not parse them, so scan the sheet's
    XML for <mergeCell ref=…> (a streaming regex, no second parse); if openpyxl changes, load the
    sheet in full."""
    source = getattr(ws, "_get_source", None)
    if source is None:     # pragma: no cover - depends on openpyxl internals
        from openpyxl import load_workbook
        return [str(r) for r in load_workbook(path, read_only=False).worksheets[0].merged_cells.ranges]
    found: dict[str, None] = {}
    tail = b""
    with source() as f:
        while chunk := f.read(1 << 20):
            buf = tail + chunk
            end = 0
            for m in MERGE_CELL.finditer(buf):
                found[m.group(1).decode("ascii")] = None
                end = m.end()
            tail = buf[max(end, len(buf) - 256):]
    return list(found)


def read_xlsx(path: Path, fil: str, head: bytes | None = None) -> pl.DataFrame:
    from openpyxl.utils.cell import range_boundaries

    if head is None:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    wb = _open_workbook(path, head, fil)
    try:
        if not wb.worksheets:
            raise InputError(Fel("Arbetsboken har inget kalkylblad (bara diagramblad?).", Plats(fil)))
        ws = wb.worksheets[0]
        # A read-only sheet trusts its recorded size (<dimension ref=…>), which writers other than
        # Excel often get wrong (too small: rows and columns would be lost without a word). Forget
        # it, so iter_rows reads every row and cell the sheet's XML actually holds.
        ws.reset_dimensions()
        rows = ws.iter_rows(values_only=False)
        header = next(rows, None)
        if not header or all(c.value is None for c in header):
            raise InputError(Fel(f"Första bladet ('{ws.title}') är tomt: rubrikraden saknas på rad 1. "
                                 "Indata läses från arbetsbokens första blad.", Plats(fil, 1)))
        names = [str(c.value).strip() if c.value is not None else f"_tom{i}" for i, c in enumerate(header)]
        check_header_names(names, fil)
        data: list[list[str | None]] = []
        problems: list[Fel] = []
        for r, row in enumerate(rows, start=2):
            vals = []
            if len(row) > len(names):      # cells right of the header (rows are as long as their last cell)
                names += [f"_tom{i}" for i in range(len(names), len(row))]
            for i, c in enumerate(row):
                kind = getattr(c, "data_type", None)
                if kind == "f":
                    problems.append(Fel("Cellen innehåller en formel; spara värden, inte formler.", Plats(fil, r, _safe(names[i]))))
                elif kind == "e":
                    problems.append(Fel(f"Cellen innehåller ett Excelfel ({c.value}).", Plats(fil, r, _safe(names[i]))))
                vals.append(_cell_text(c.value, getattr(c, "number_format", None)))
            vals += [None] * (len(names) - len(vals))
            if any(v not in (None, "") for v in vals):
                data.append(vals + [r])
        for vals in data:                  # rows read before a wider one: pad to the final width
            if len(vals) <= len(names):
                vals[-1:] = [None] * (len(names) + 1 - len(vals)) + vals[-1:]
        merged = _merged_ranges(ws, path)
    except LovError:
        raise
    except Exception:      # a damaged sheet inside a sound zip: bad XML, a bad member, …
        raise InputError(Fel("Excelfilen är skadad: första bladet kan inte läsas.", Plats(fil))) from None
    finally:
        wb.close()
    for ref in merged[:MAX_LISTED]:
        min_col, min_row, _, _ = range_boundaries(ref)
        col = _safe(names[min_col - 1]) if min_col - 1 < len(names) else None
        problems.append(Fel(f"Sammanfogade celler ({ref}): värdet står bara i den första cellen och de andra blir tomma. "
                            "Dela upp cellerna och skriv värdet på varje rad.", Plats(fil, min_row, col)))
    if problems:
        raise InputError(problems[: 2 * MAX_LISTED])
    return pl.DataFrame(data, schema={**{n: pl.String for n in names}, "_rad": pl.Int64}, orient="row")


# ---------------------------------------------------------------- a file, whatever its kind

def normalize_columns(df: pl.DataFrame, mapping: dict[str, str], fil: str) -> pl.DataFrame:
    """Lower-case headers; apply the config's {our_name: their_name} renaming."""
    lower = {c: c.strip().lstrip("\ufeff").lower() for c in df.columns}
    theirs = {v.strip().lower(): k for k, v in mapping.items()}
    renamed = {c: theirs.get(low, low) for c, low in lower.items()}
    seen: dict[str, str] = {}
    for orig, new in renamed.items():
        if new in seen:
            raise InputError(Fel(f"Kolumnen '{_safe(new)}' förekommer flera gånger.", Plats(fil, 1, _safe(orig))))
        seen[new] = orig
    return df.rename(renamed)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "Filen kan inte läsas: behörighet saknas."
    if isinstance(exc, IsADirectoryError):
        return "Filen kan inte läsas: det är en mapp."
    return "Filen kan inte läsas."


def read_table(path: Path, base: str, mapping: dict[str, str],
               coded: tuple[str, ...] = ()) -> tuple[pl.DataFrame, Source]:
    """A file as strings, with `_fil` and `_rad`. Columns named in `coded` (our names) may come
    back Categorical, when the file takes the fast path."""
    fil = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        if path.suffix.lower() == ".xlsx":
            df = read_xlsx(path, fil, head)        # refuses a non-Excel file from its head, before hashing it
            digest = hash_file(path)
        else:
            check_text_head(head, size, fil)
            df = read_csv_utf8(path, head, fil, {mapping.get(c, c).strip().lower(): coded_dtype(base, c) for c in coded})
            if df is not None:
                digest = HASHING.submit(hash_file, path)
            if df is None:                         # not plain UTF-8, or unusual: the careful text path
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()     # of the bytes read here
                df = read_csv_text(decode(data, fil), fil)
                del data
        df = normalize_columns(df, mapping, fil)
    except LovError:
        raise
    except OSError as exc:
        raise InputError(Fel(_os_reason(exc), Plats(str(path)))) from None
    except MemoryError:
        raise InputError(Fel("Filen är för stor för att läsas i minnet.", Plats(fil))) from None
    except (Exception, pl.exceptions.PanicException) as exc:
        # polars, zip, XML: name the file, never show the exception's text (it may quote a personnummer)
        raise InputError(Fel(f"Filen kan inte läsas ({type(exc).__name__}); kontrollera att den är en "
                             "CSV- eller xlsx-fil med rubrikrad på rad 1.", Plats(fil))) from None
    if "_rad" not in df.columns:
        df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias("_rad"))
    df = df.with_columns((pl.lit(fil).cast(pl.Categorical) if coded else pl.lit(fil)).alias("_fil"))
    return df, Source(base, path, digest, df.height)


def require_columns(df: pl.DataFrame, required: list[str], fil: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        errors = [Fel(f"Obligatorisk kolumn '{c}' saknas.", Plats(fil, 1, c)) for c in missing]
        if len(missing) == len(required) > 1:
            errors.append(Fel("Ingen av de obligatoriska kolumnerna finns: saknar filen rubrikrad, eller är "
                              "avgränsaren eller teckenkodningen fel?", Plats(fil, 1)))
        raise InputError(errors)
