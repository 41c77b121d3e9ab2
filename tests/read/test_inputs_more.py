"""More input defects from review (targets.md: nothing is lost silently; bad input gets a clear
Swedish message and exit code 1, never a traceback):

- an .xlsx whose recorded sheet size (`<dimension>`) is smaller than its data loses no row or column;
- a CSV mixing UTF-8 and Windows-1252 stops the run naming the first byte that is not UTF-8,
  instead of being read as Windows-1252 throughout ('Omsorg Ã…sa AB');
- blank lines before the header stop the run on both CSV paths with one clear message;
- ISO 8601 timestamps with fractional seconds or an hour-only offset are accepted.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest

from lovkorning.config.loaded import load
from lovkorning.core.errors import InputError
from lovkorning.read.indata import read_month
from lovkorning.core.period import Period
from lovkorning.read.sniff import decode
from lovkorning.read.csvfile import read_csv_text
from lovkorning.read.files import read_table
from support.monthbuilder import BRUKARE_A, Month

SEPT = Period(2023, 9)
ORDER_HEADER = ["bestallning_id", "brukare_id", "utforare_id", "insats", "minuter", "per", "giltig_fran",
                "giltig_till", "verkstalld_fran", "antal", "zon", "dubbelbemanning"]


def where(exc: pytest.ExceptionInfo) -> list[tuple]:
    return [(f.plats.fil, f.plats.rad, f.plats.kolumn) for f in exc.value.fel]


# ---------------------------------------------------------------- xlsx: a wrong <dimension> record

def xlsx_with_dimension(path: Path, ref: str | None, rows: int = 3, edit=None) -> None:
    """An order workbook of `rows` data rows whose sheet records its size as `ref` (None: no record)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(ORDER_HEADER)
    for i in range(rows):
        ws.append([f"B{i}", BRUKARE_A, "U1", "RAM-tid", 600, "manad", "2023-08-01", None, None, None, "tätort", "nej"])
    if edit:
        edit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    src, out = zipfile.ZipFile(io.BytesIO(buf.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                new = b"" if ref is None else f'<dimension ref="{ref}"/>'.encode()
                body, n = re.subn(rb'<dimension ref="[^"]*"/>', new, body)
                assert n == 1
            z.writestr(item, body)
    path.write_bytes(out.getvalue())


@pytest.mark.parametrize("ref", ["A1:L2", "A1", "A1:C3", "A1:L3", None])
def test_an_xlsx_whose_recorded_size_is_too_small_loses_no_row_or_column(tmp_path, ref):
    path = tmp_path / "bestallningar.xlsx"
    xlsx_with_dimension(path, ref, rows=3)
    df, source = read_table(path, "bestallningar", {})
    assert [c for c in df.columns if not c.startswith("_")] == ORDER_HEADER
    assert df.select("bestallning_id", "zon", "dubbelbemanning", "_rad").rows() == [
        ("B0", "tätort", "nej", 2), ("B1", "tätort", "nej", 3), ("B2", "tätort", "nej", 4)]
    assert source.rows == 3


def test_an_xlsx_row_wider_than_the_header_keeps_every_row(tmp_path):
    """Without a trusted size, rows are as long as their last cell: a later, wider row (a note right
    of the table) must not shift or drop the rows read before it."""
    path = tmp_path / "bestallningar.xlsx"
    xlsx_with_dimension(path, "A1", rows=2, edit=lambda ws: ws.__setitem__("N3", "anteckning"))
    df, _ = read_table(path, "bestallningar", {})
    assert df.select("bestallning_id", "zon", "_rad").rows() == [("B0", "tätort", 2), ("B1", "tätort", 3)]
    assert df.get_column("_tom13").to_list() == [None, "anteckning"]


def test_an_xlsx_with_a_wrong_size_record_is_read_in_full_by_read_month(tmp_path):
    """The reviewer's repro: dimension A1:L2 with a second order on row 3 (it was dropped, exit 0)."""
    m = Month().utforare("U1", "Omsorg AB")
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "600")
    cfg = m.write(tmp_path)
    (tmp_path / "data/2023-09/bestallningar.csv").unlink()
    xlsx_with_dimension(tmp_path / "data/2023-09/bestallningar.xlsx", "A1:L2", rows=2)
    got = read_month(load(cfg), SEPT)
    assert got.avvikelser.filter(got.avvikelser["fil"] == "bestallningar.xlsx").is_empty()
    assert got.bestallningar.select("bestallning_id", "_rad").rows() == [("B0", 2), ("B1", 3)]


# ---------------------------------------------------------------- mixed encodings

UTF_HEADER = "utforare_id;namn;regi;orgnr;bankgiro;flaggor\n"


def mixed_register() -> bytes:
    return (UTF_HEADER + "U01;Omsorg Åsa AB;privat;;123-4566;\n").encode("utf-8") + \
        "U02;Vård é AB;egen;;;\n".encode("cp1252")


def test_a_file_mixing_utf8_and_windows_1252_stops_the_run_at_the_first_byte_that_is_not_utf8():
    with pytest.raises(InputError) as exc:
        decode(mixed_register(), "utforare.csv")
    assert where(exc) == [("utforare.csv", 3, "namn")]
    text = str(exc.value)
    assert "blandar" in text and "UTF-8" in text and "0xE5" in text


def test_a_mixed_file_stops_read_table_as_well(tmp_path):
    path = tmp_path / "utforare.csv"
    path.write_bytes(b"\xef\xbb\xbf" + mixed_register())
    with pytest.raises(InputError) as exc:
        read_table(path, "utforare", {})
    assert where(exc) == [("utforare.csv", 3, "namn")]


def test_a_header_in_utf8_and_rows_in_windows_1252_is_mixed_too():
    data = "id;namn\n".encode() + "1;Ågren\n".encode("cp1252")
    assert decode("id;namnå\n".encode("cp1252") + "1;Ågren\n".encode("cp1252"), "f.csv") == "id;namnå\n1;Ågren\n"
    assert decode(data, "f.csv") == "id;namn\n1;Ågren\n"      # pure ASCII plus Windows-1252: one encoding
    with pytest.raises(InputError) as exc:
        decode("id;namnå\n".encode() + "1;Ågren\n".encode("cp1252"), "f.csv")
    assert where(exc) == [("f.csv", 2, "namnå")]


def test_a_plain_windows_1252_file_with_every_swedish_letter_is_still_read():
    text = "namn;ort\nÅsa Ärlig;Östersund\nåäö ÅÄÖ é ü;Malmö – söder\n"
    assert decode(text.encode("cp1252"), "f.csv") == text


# ---------------------------------------------------------------- blank lines before the header

OVERTID = "brukare_id;utforare_id;minuter\n" + f"{BRUKARE_A};U1;30\n" + f"{BRUKARE_A};U1;15\n"


@pytest.mark.parametrize("blank", ["\n", "\n\n", "\r\n", "  \n"])
@pytest.mark.parametrize("variant", ["utf8", "utf8-citat", "utf8-bom", "cp1252", "utf16"])
def test_blank_lines_before_the_header_stop_the_run_on_every_path(tmp_path, blank, variant):
    """UTF-8 without quotes: polars' path; with a quote: polars, then a line count; Windows-1252
    and UTF-16: the careful path (decode, read_csv_text)."""
    body = OVERTID.replace(";U1;15", ';"U1";15') if variant == "utf8-citat" else OVERTID
    if variant == "cp1252":
        body = body.replace("U1;15", "Ö1;15")
    encoding = {"cp1252": "cp1252", "utf16": "utf-16"}.get(variant, "utf-8")
    data = (blank + body).encode(encoding)
    path = tmp_path / "overtid.csv"
    path.write_bytes((b"\xef\xbb\xbf" if variant == "utf8-bom" else b"") + data)
    with pytest.raises(InputError) as exc:
        read_table(path, "overtid", {})
    assert where(exc) == [("overtid.csv", 1, None)]
    assert exc.value.fel[0].meddelande == "Rad 1 är tom: rubrikraden ska stå på rad 1."


@pytest.mark.parametrize("hint", ["sep=;", "SEP=,", "sep=\t"])
@pytest.mark.parametrize("variant", ["utf8", "cp1252"])
def test_excels_separator_line_before_the_header_is_named(tmp_path, hint, variant):
    """Excel may write 'sep=;' on line 1: said as such, not as a header with one column."""
    body = OVERTID.replace("U1;15", "Ö1;15") if variant == "cp1252" else OVERTID
    path = tmp_path / "overtid.csv"
    path.write_bytes((hint.replace("\\t", "\t") + "\n" + body).encode("cp1252" if variant == "cp1252" else "utf-8"))
    with pytest.raises(InputError) as exc:
        read_table(path, "overtid", {})
    assert where(exc) == [("overtid.csv", 1, None)]
    assert "en rad som Excel lägger till" in exc.value.fel[0].meddelande


def test_blank_first_line_in_the_exact_reader():
    with pytest.raises(InputError) as exc:
        read_csv_text('\n\na;b\n1;"2"\n', "f.csv")
    assert where(exc) == [("f.csv", 1, None)]
    with pytest.raises(InputError):
        read_csv_text("\r\ra;b\r1;2\r", "f.csv")     # CR-only lines


# ---------------------------------------------------------------- ISO 8601 forms

def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


ISO_FORMS = {   # text in the file -> the UTC instant; fractions of a second are truncated
    "2023-09-04T08:00:00.5+02:00": utc(2023, 9, 4, 6, 0, 0),
    "2023-09-04T08:00:00.999999+02:00": utc(2023, 9, 4, 6, 0, 0),
    "2023-09-04T08:00:07,25+02:00": utc(2023, 9, 4, 6, 0, 7),
    "2023-09-04T08:00:00+02": utc(2023, 9, 4, 6, 0),
    "2023-09-04T08:00+02": utc(2023, 9, 4, 6, 0),
    "2023-09-04T09:00:00+0300": utc(2023, 9, 4, 6, 0),
    "2023-09-04T05:00:00-01": utc(2023, 9, 4, 6, 0),
    "2023-09-04T06:00:00.123Z": utc(2023, 9, 4, 6, 0),
    "2023-09-04 08:00:00.250": utc(2023, 9, 4, 6, 0),       # local time with a fraction
    "2023-09-04T08:00:01.5": utc(2023, 9, 4, 6, 0, 1),
    "2023-09-04 08:00:00+02": utc(2023, 9, 4, 6, 0),
}
STILL_REJECTED = ["2023-09-04+02", "2023-09-04T08+02", "2023-09-04 08:00:00.", "2023-09-04 08:00:00+2",
                  "2023-09-04 08:00:00.5.5", "2023-09-04 08:00:00+02:00:00", "2023-03-26 02:30:00.5"]


def test_iso_8601_with_fractional_seconds_or_an_hour_offset_is_the_right_instant(tmp_path):
    m = Month().utforare("U1", "Omsorg AB").order("B1", BRUKARE_A, "U1", "Avlösning", "60")
    texts = [*ISO_FORMS, *STILL_REJECTED]
    for i, text in enumerate(texts):
        m.event(BRUKARE_A, "U1", "P1", text, "in", hid=f"T{i}")
    got = read_month(load(m.write(tmp_path)), SEPT)
    parsed = dict(got.taggningar.select("handelse_id", "tidpunkt").rows())
    for i, text in enumerate(ISO_FORMS):
        assert parsed.get(f"T{i}") == ISO_FORMS[text], text
    rejected = {r for r, k in got.avvikelser.select("rad", "kod").rows() if k.endswith("tidpunkt")}
    assert rejected == {texts.index(t) + 2 for t in STILL_REJECTED}
    gap = texts.index("2023-03-26 02:30:00.5") + 2
    assert (gap, "tvetydig-tidpunkt") in got.avvikelser.select("rad", "kod").rows()
