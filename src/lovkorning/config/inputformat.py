"""How a real export is read (an extension of the contract, `inputs.format.<file>`): the sheet, the
header's rows, rows to skip, date and time formats, a day in a column of its own, the separator of a
list. Checked when the config is loaded, so a format that cannot be read names its line.

The contract's columns of the visit file `besok` are listed here too (read/parse.py types them; a
test keeps the two the same): `inputs.columns.besok` may only name them.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any

import polars as pl
from pydantic import Field, ValidationInfo, field_validator

from .strict import Strict

BESOK_COLUMNS = ("besok_id", "brukare_id", "utforare_id", "personal_id", "start", "slut", "metod_start",
                 "metod_slut", "insatser", "roll", "korrigerad", "avbojt", "minuter")
# every file's contract columns: those a fixed value (`fixed`) may give
CONTRACT_COLUMNS = {
    "utforare": ("utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor"),
    "bestallningar": ("bestallning_id", "brukare_id", "utforare_id", "insats", "minuter", "per", "giltig_fran",
                      "giltig_till", "verkstalld_fran", "antal", "zon", "dubbelbemanning"),
    "uppehall": ("brukare_id", "fran", "till", "orsak", "utforare_id"),
    "taggningar": ("handelse_id", "brukare_id", "utforare_id", "personal_id", "tidpunkt", "typ", "metod",
                   "insatser", "roll", "korrigerad"),
    "besok": BESOK_COLUMNS,
    "genomforandeplaner": ("brukare_id", "utforare_id", "godkand"),
    "overtid": ("brukare_id", "utforare_id", "minuter"),
}
# the columns that hold a point in time, per file: those a day column (date_columns) can complete
TIMESTAMP_COLUMNS = {"taggningar": ("tidpunkt",), "besok": ("start", "slut")}

EXCEL = "excel"          # a format value: Excel's serial numbers (days since 1899-12-30, time as a fraction)
REFERENCE = datetime(2023, 9, 4, 8, 15, 30)
KINDS = {"date": ("datum", "ett datum (dag, månad och år, t.ex. %d/%m/%Y)"),
         "time": ("klockslag", "ett klockslag (timme och minut, t.ex. %H.%M)"),
         "datetime": ("tidpunkt", "en tidpunkt (datum och klockslag, t.ex. %d/%m/%Y %H.%M)")}


def check_format(fmt: str, kind: str) -> str:
    """A strftime format (`%d/%m/%Y`) that reads back what it writes, as polars reads the files: a
    format polars cannot read, or one that lacks a part of the value (a date without a year),
    is a config error. `excel` stands for Excel's serial numbers."""
    if fmt == EXCEL:
        return fmt
    what, example = KINDS[kind]
    if "%" not in fmt:
        raise ValueError(f"'{fmt}' är inget format för {what}; ange {example}, eller excel")
    try:
        text = REFERENCE.strftime(fmt)
        s = pl.Series([text])
        got = {"date": lambda: s.str.to_date(fmt, strict=False),
               "time": lambda: s.str.to_time(fmt, strict=False),
               "datetime": lambda: s.str.to_datetime(fmt, strict=False, time_unit="us")}[kind]().item()
    except (ValueError, pl.exceptions.PolarsError, pl.exceptions.PanicException):
        got = None
    want: tuple[Any, ...] = {"date": (REFERENCE.date(),),
                             "time": (REFERENCE.time(), time(8, 15)),
                             "datetime": (REFERENCE, REFERENCE.replace(second=0))}[kind]
    if got not in want or (isinstance(got, (date, datetime)) and got.year != 2023):
        raise ValueError(f"formatet '{fmt}' kan inte läsa {what} (det skriver 2023-09-04 08:15:30 som "
                         f"'{REFERENCE.strftime(fmt) if '%' in fmt else fmt}'); ange {example}")
    return fmt


class FormatCfg(Strict):
    """`inputs.format.<file>`: how that file is laid out and how its values are written."""
    sheet: str | None = None                        # xlsx: the sheet by name (else the first)
    header_row: tuple[int, ...] = (1,)              # the header's line, or its lines ([3, 4]); above: skipped
    footer_rows: int = Field(default=0, ge=0)       # rows at the end of the table that are not data (totals)
    skip_matching: str | None = None                # a row where some cell matches this is not data
    date: str | None = None                         # dates: '%d/%m/%Y', or excel
    time: str | None = None                         # clock times of a separate time column: '%H.%M', or excel
    datetime: str | None = None                     # timestamps in one cell: '%d/%m/%Y %H.%M', or excel
    date_columns: dict[str, str] = Field(default_factory=dict)   # {start: Datum}: the day of `start` stands in Datum
    list_separator: tuple[str, ...] | None = None   # separators of a list (insatser, flaggor) besides '|'
    fixed: dict[str, str] = Field(default_factory=dict)   # {metod_start: tagg}: a column the export lacks, one value

    @field_validator("fixed", mode="before")
    @classmethod
    def _fixed_text(cls, v: Any) -> Any:
        """A cell's value is text: `{antal: 1}` means the cell "1" (YAML's numbers and booleans as text)."""
        if isinstance(v, dict):
            v = {k: ("true" if w else "false") if isinstance(w, bool) else str(w) if isinstance(w, (int, float)) else w
                 for k, w in v.items()}
            if any(isinstance(w, str) and not w.strip() for w in v.values()):
                raise ValueError("ett fast värde kan inte vara tom text")
        return v

    @field_validator("header_row", mode="before")
    @classmethod
    def _rows(cls, v: Any) -> Any:
        rows = [v] if isinstance(v, int) and not isinstance(v, bool) else v
        if isinstance(rows, list) and rows and all(isinstance(r, int) and not isinstance(r, bool) for r in rows):
            if rows[0] < 1 or any(b != a + 1 for a, b in zip(rows, rows[1:])) or len(rows) > 3:
                raise ValueError("ange rubrikradens radnummer (från 1), eller högst tre rader i följd, t.ex. [3, 4]")
        return rows

    @field_validator("list_separator", mode="before")
    @classmethod
    def _separators(cls, v: Any) -> Any:
        seps = [v] if isinstance(v, str) else v
        if isinstance(seps, list) and any(isinstance(s, str) and not s for s in seps):
            raise ValueError("en avgränsare kan inte vara tom text")
        return seps

    @field_validator("date", "time", "datetime")
    @classmethod
    def _format(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else check_format(v, info.field_name)

    @field_validator("skip_matching")
    @classmethod
    def _pattern(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
                pl.Series([""]).str.contains(v)
            except (re.error, pl.exceptions.PolarsError):
                raise ValueError(f"'{v}' är inget giltigt reguljärt uttryck") from None
        return v


def check_formats(formats: dict[str, FormatCfg]) -> None:
    """Checks across one file's keys: a day column completes a timestamp column of that file."""
    for name, fmt in formats.items():
        allowed = TIMESTAMP_COLUMNS.get(name, ())
        bad = [c for c in fmt.date_columns if c not in allowed]
        if bad:
            where = f"ange {' eller '.join(allowed)}" if allowed else f"{name} har ingen tidpunktskolumn"
            raise ValueError(f"{name}.date_columns: {', '.join(repr(c) for c in bad)} är ingen "
                             f"tidpunktskolumn i {name}; {where}")
        allowed = CONTRACT_COLUMNS.get(name, ())
        bad = [c for c in fmt.fixed if c not in allowed]
        if bad:
            raise ValueError(f"{name}.fixed: okänd kolumn {', '.join(repr(c) for c in bad)}; "
                             f"{name} har kolumnerna {', '.join(allowed)}")


def check_besok_columns(columns: dict[str, dict[str, str]]) -> None:
    """The visit file is new: its renaming may name only its own columns (a typo is an error)."""
    bad = [c for c in columns.get("besok", {}) if c not in BESOK_COLUMNS]
    if bad:
        raise ValueError(f"besok: okänd kolumn {', '.join(repr(c) for c in bad)}; "
                         f"besok har kolumnerna {', '.join(BESOK_COLUMNS)}")
