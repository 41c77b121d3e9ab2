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

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ..config.inputformat import FormatCfg
from ..core.codes import coded_dtype
from ..core.errors import Fel, InputError, LovError, Plats
from .csvfile import read_csv_text, read_csv_utf8
from .sniff import HEAD_BYTES, safe_name, check_text_head, decode
from .layout import check_renamed, csv_below, cut_rows
from .xlsxfile import read_xlsx


EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")


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


# ---------------------------------------------------------------- a file, whatever its kind


def normalize_columns(df: pl.DataFrame, mapping: dict[str, str], fil: str) -> pl.DataFrame:
    """Lower-case headers; apply the config's {our_name: their_name} renaming."""
    lower = {c: c.strip().lstrip("\ufeff").lower() for c in df.columns}
    theirs = {v.strip().lower(): k for k, v in mapping.items()}
    renamed = {c: theirs.get(low, low) for c, low in lower.items()}
    seen: dict[str, str] = {}
    for orig, new in renamed.items():
        if new in seen:
            raise InputError(Fel(f"Kolumnen '{safe_name(new)}' förekommer flera gånger.", Plats(fil, 1, safe_name(orig))))
        seen[new] = orig
    return df.rename(renamed)


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "Filen kan inte läsas: behörighet saknas."
    if isinstance(exc, IsADirectoryError):
        return "Filen kan inte läsas: det är en mapp."
    return "Filen kan inte läsas."


def read_table(path: Path, base: str, mapping: dict[str, str], coded: tuple[str, ...] = (),
               fmt: FormatCfg | None = None, rename: bool = True,
               coded_after: tuple[str, ...] = ()) -> tuple[pl.DataFrame, Source]:
    """A file as strings, with `_fil` and `_rad`. Columns named in `coded` (our names) may come
    back Categorical, when the file takes the fast path; those in `coded_after` too, encoded after
    the reader (too many values for its dictionary). `fmt` (inputs.format): where the table
    stands (sheet, header rows, rows to skip). `rename=False`: the columns as the file names them."""
    fil = path.name
    header = fmt.header_row if fmt else (1,)
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
        if path.suffix.lower() == ".xlsx":
            # refuses a non-Excel file from its head, before hashing it
            df = read_xlsx(path, fil, head, fmt.sheet if fmt else None, header)
            digest = hash_file(path)
        else:
            check_text_head(head, size, fil)
            def dtypes(cols: tuple[str, ...]) -> dict[str, pl.DataType]:     # by the file's (lower-case) names
                return {mapping.get(c, c).strip().lower(): coded_dtype(base, c) for c in cols}
            df = None if header != (1,) else read_csv_utf8(path, head, fil, dtypes(coded), dtypes(coded_after))
            if df is not None:
                digest = HASHING.submit(hash_file, path)
            if df is None:                         # not plain UTF-8, or unusual: the careful text path
                data = path.read_bytes()
                digest = hashlib.sha256(data).hexdigest()     # of the bytes read here
                text = decode(data, fil)
                del data
                df = read_csv_text(text, fil) if header == (1,) else csv_below(text, header, fil)
        df, _ = cut_rows(df, fmt)
        if rename:
            check_renamed(df.columns, mapping, base, fil, header[-1])
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


def require_columns(df: pl.DataFrame, required: list[str], fil: str, header: int = 1) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        errors = [Fel(f"Obligatorisk kolumn '{c}' saknas.", Plats(fil, header, c)) for c in missing]
        if len(missing) == len(required) > 1:
            errors.append(Fel("Ingen av de obligatoriska kolumnerna finns: saknar filen rubrikrad, eller är "
                              "avgränsaren eller teckenkodningen fel?", Plats(fil, header)))
        raise InputError(errors)
