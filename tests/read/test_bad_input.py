"""Broken input files through the real CLI (issue 5, part 5; targets.md, Reliability).

Each case is a small month (monthbuilder) with ONE file broken, run as `lovkorning run 2023-09`.
Either the run cannot go on — exit 1, a Swedish `FEL:` line naming the file (and the row and
column where there is one), no payment file — or the broken row is rejected with a `fel` finding
in avvikelser.csv naming file, row and column, and the rest is paid (exit 0). Never a traceback,
never a personnummer on the terminal.

The CLI processes of the selected cases run side by side (see `outcomes`): each takes about a
second, nearly all of it interpreter start-up.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl
import polars as pl
import pytest

from lovkorning.read import files as readers
from lovkorning.core.errors import InputError
from lovkorning.read.csvfile import read_csv_text
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month

REPO = Path(__file__).resolve().parents[2]
PNR = re.compile(r"\b(19|20)?\d{6}[-+]?\d{4}\b")
ENGLISH = ("error", "exception", "traceback", "invalid", "failed", "could not", "unexpected")
PAYMENT = "out/2023-09/betalning/lov-2023-09.txt"


def run_cli(root: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("LOVKORNING_CONFIG", "LOVKORNING_DEBUG")}
    return subprocess.run([sys.executable, "-c", "from lovkorning.cli import main; main()", "run", "2023-09",
                           "--config", str(root / "lovkorning.yaml"), "--datum", "2023-10-09"],
                          cwd=root, env=env, capture_output=True, text=True, timeout=timeout)


# ---------------------------------------------------------------- the month, and ways to break one file

def base_month() -> Month:
    """Two private utförare on RAM-tid (paid on beviljad tid, visits or not), two rows in every file:
    row 2 of each file belongs to U1 (the one a case breaks), the last row to U2."""
    m = Month().utforare("U1", "Omsorg Öst AB").utforare("U2", "Hemtjänst Väst AB", bankgiro=BG_2)
    m.order("B1", BRUKARE_A, "U1", "RAM-tid", "600").order("B2", BRUKARE_B, "U2", "RAM-tid", "300")
    m.visit(BRUKARE_A, "U1", "P1", "2023-09-04 08:00:00", 1800, "RAM-tid")      # taggningar rows 2, 3
    m.visit(BRUKARE_B, "U2", "P2", "2023-09-05 09:00:00", 1800, "RAM-tid")      # rows 4, 5
    m.pause(BRUKARE_A, "2023-09-10", "2023-09-12").pause(BRUKARE_B, "2023-09-20", "2023-09-21")
    m.plan(BRUKARE_A, "U1", "2023-09-01").plan(BRUKARE_B, "U2", "2023-09-02")
    m.rows["overtid"] += [dict(brukare_id=BRUKARE_A, utforare_id="U1", minuter="30"),
                          dict(brukare_id=BRUKARE_B, utforare_id="U2", minuter="15")]
    return m


def csv_path(root: Path, name: str) -> Path:
    return root / "data" / ("utforare.csv" if name == "utforare" else f"2023-09/{name}.csv")


def lines_of(root: Path, name: str) -> list[list[str]]:
    return [ln.split(";") for ln in csv_path(root, name).read_text(encoding="utf-8-sig").splitlines()]


def write_lines(root: Path, name: str, rows: list[list[str]]) -> None:
    csv_path(root, name).write_text("\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8-sig")


def set_value(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    def brk(root: Path) -> None:
        rows = lines_of(root, name)
        rows[row - 1][rows[0].index(column)] = value
        write_lines(root, name, rows)
    return brk


def drop_column(name: str, column: str) -> Callable[[Path], None]:
    def brk(root: Path) -> None:
        rows = lines_of(root, name)
        i = rows[0].index(column)
        write_lines(root, name, [r[:i] + r[i + 1:] for r in rows])
    return brk


def cut_row(name: str, row: int, keep: int) -> Callable[[Path], None]:
    """Row `row` keeps only its first `keep` fields."""
    def brk(root: Path) -> None:
        rows = lines_of(root, name)
        rows[row - 1] = rows[row - 1][:keep]
        write_lines(root, name, rows)
    return brk


def extra_field(name: str, row: int) -> Callable[[Path], None]:
    def brk(root: Path) -> None:
        rows = lines_of(root, name)
        rows[row - 1].append("extra")
        write_lines(root, name, rows)
    return brk


def edit_bytes(name: str, fn: Callable[[bytes], bytes]) -> Callable[[Path], None]:
    def brk(root: Path) -> None:
        p = csv_path(root, name)
        p.write_bytes(fn(p.read_bytes()))
    return brk


def header_only(name: str) -> Callable[[Path], None]:
    return lambda root: write_lines(root, name, lines_of(root, name)[:1])


def xlsx_bytes(rows: list[list[str]], edit: Callable | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append([v or None for v in r])
    if edit:
        edit(wb, ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def as_xlsx(name: str, edit: Callable | None = None, damage: Callable[[bytes], bytes] | None = None):
    """Replace name.csv by name.xlsx holding the same rows (text cells), edited or damaged."""
    def brk(root: Path) -> None:
        p = csv_path(root, name)
        data = xlsx_bytes(lines_of(root, name), edit)
        p.unlink()
        p.with_suffix(".xlsx").write_bytes(damage(data) if damage else data)
    return brk


def formula(wb, ws) -> None:
    ws["E2"] = "=300*2"                    # minuter of B1


def merge(wb, ws) -> None:
    ws.merge_cells("D2:D3")                # insats of B1 and B2: RAM-tid once


def duplicate_zon(wb, ws) -> None:
    ws.cell(row=1, column=ws.max_column + 1, value="zon")


def empty_first_sheet(wb, ws) -> None:
    data = wb.copy_worksheet(ws)
    data.title = "Data"
    ws.delete_rows(1, ws.max_row)


def zip_of_text(_: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("bestallningar.txt", "det här är ingen arbetsbok")
    return buf.getvalue()


def broken_sheet_xml(data: bytes) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            z.writestr(item, body[: len(body) // 2] if item.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


def to_utf16_without_bom(data: bytes) -> bytes:
    return data.decode("utf-8-sig").encode("utf-16-le")


def undefined_in_cp1252(data: bytes) -> bytes:
    # Latin-1 'Städ' is fine in Windows-1252; 0x81 is defined in neither UTF-8 nor Windows-1252
    return data.replace(b"RAM-tid", "Städ".encode("latin-1") + b"\x81", 1)


def mixed_encodings(data: bytes) -> bytes:
    # row 2 stays UTF-8 ('Omsorg Öst AB'), row 3 is appended by a program writing Windows-1252
    return data.replace("Hemtjänst Väst AB".encode(), "Hemtjänst Väst AB".encode("cp1252"), 1)


def blank_line_first(data: bytes) -> bytes:
    bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
    return bom + b"\r\n" + data[len(bom):]


def dimension_a1(data: bytes) -> bytes:
    """The sheet records its size as A1 (some writers do): read-only openpyxl trusted it."""
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1"/>', body)
            z.writestr(item, body)
    return out.getvalue()


PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def cut_inside_last_line(data: bytes) -> bytes:
    return data[: data.rindex(b"09:30:00") + 4]                 # row 5 ends in '2023-09-05 09:3'


def unterminated_quote(data: bytes) -> bytes:
    return data.replace(b";P1;", b';"P1;', 1)                    # row 2, personal_id


def stray_quote(data: bytes) -> bytes:
    return data.replace("Omsorg Öst AB".encode(), 'Omsorg "Öst AB'.encode(), 1)     # polars refuses this


def no_header(data: bytes) -> bytes:
    return data.split(b"\n", 1)[1]


# ---------------------------------------------------------------- the cases

@dataclass(frozen=True)
class Case:
    id: str
    breaks: Callable[[Path], None]
    exit: int
    where: str = ""                 # exit 1: a FEL line starts 'FEL: <where>:' …
    says: str = ""                  # … and contains this Swedish text
    findings: frozenset = frozenset()    # exit 0: the fel findings, as (fil, rad, kolumn, kod)
    paid: bool = True               # exit 0: a payment file is written


def stops(id: str, breaks, where: str, says: str) -> Case:
    return Case(id, breaks, 1, where=where, says=says)


def rejects(id: str, breaks, *findings: tuple, paid: bool = True) -> Case:
    return Case(id, breaks, 0, findings=frozenset(findings), paid=paid)


CASES = [
    # encodings and files that are not text
    stops("utf16-utan-bom", edit_bytes("taggningar", to_utf16_without_bom), "taggningar.csv, rad 1", "UTF-16 utan"),
    stops("byte-odefinierad-i-cp1252", edit_bytes("bestallningar", undefined_in_cp1252),
          "bestallningar.csv, rad 2", "Byte 0x81 i kolumnen 'insats' kan inte avkodas"),
    stops("blandad-teckenkodning", edit_bytes("utforare", mixed_encodings), "utforare.csv, rad 3, kolumn 'namn'",
          "Filen blandar teckenkodningar"),
    *(stops(f"tom-rad-fore-rubriken-{n}", edit_bytes(n, blank_line_first), f"{n}.csv, rad 1",
            "Rad 1 är tom: rubrikraden ska stå på rad 1.")
      for n in ("taggningar", "bestallningar")),
    stops("png-som-taggningar", edit_bytes("taggningar", lambda _: PNG), "taggningar.csv, rad 3", "inte en textfil"),
    stops("xlsx-med-namnet-csv", edit_bytes("bestallningar", lambda _: xlsx_bytes([["a"]])), "bestallningar.csv",
          "Excel- eller zip-fil"),
    stops("rubrikrad-over-64-kib", edit_bytes("taggningar", lambda _: b"x" * 100_000), "taggningar.csv, rad 1",
          "längre än 64 KiB"),
    # truncated rows and broken quoting
    rejects("rad-med-farre-falt", cut_row("bestallningar", 2, 4),
            *(("bestallningar.csv", 2, c, "saknat-varde") for c in ("minuter", "per", "giltig_fran", "zon"))),
    rejects("avbruten-mitt-i-sista-raden", edit_bytes("taggningar", cut_inside_last_line),
            ("taggningar.csv", 5, "tidpunkt", "ogiltig-tidpunkt"), ("taggningar.csv", 5, "typ", "saknat-varde"),
            ("taggningar.csv", 5, "metod", "saknat-varde")),
    stops("oavslutat-citattecken", edit_bytes("taggningar", unterminated_quote),
          "taggningar.csv, rad 2, kolumn 'personal_id'", "aldrig stängs"),
    stops("rad-med-fler-falt", extra_field("bestallningar", 3), "bestallningar.csv, rad 3", "fler fält än rubrikraden"),
    rejects("citattecken-mitt-i-falt-lases-som-tecken", edit_bytes("utforare", stray_quote)),
    # a required column missing, in each file
    stops("saknar-kolumn-utforare", drop_column("utforare", "regi"), "utforare.csv, rad 1, kolumn 'regi'",
          "Obligatorisk kolumn 'regi' saknas"),
    stops("saknar-kolumn-bestallningar", drop_column("bestallningar", "giltig_fran"),
          "bestallningar.csv, rad 1, kolumn 'giltig_fran'", "Obligatorisk kolumn"),
    stops("saknar-kolumn-taggningar", drop_column("taggningar", "tidpunkt"),
          "taggningar.csv, rad 1, kolumn 'tidpunkt'", "Obligatorisk kolumn"),
    stops("saknar-kolumn-uppehall", drop_column("uppehall", "fran"), "uppehall.csv, rad 1, kolumn 'fran'",
          "Obligatorisk kolumn"),
    stops("saknar-kolumn-genomforandeplaner", drop_column("genomforandeplaner", "godkand"),
          "genomforandeplaner.csv, rad 1, kolumn 'godkand'", "Obligatorisk kolumn"),
    stops("saknar-kolumn-overtid", drop_column("overtid", "minuter"), "overtid.csv, rad 1, kolumn 'minuter'",
          "Obligatorisk kolumn"),
    stops("saknar-rubrikrad", edit_bytes("taggningar", no_header), "taggningar.csv, rad 1", "saknar filen rubrikrad"),
    stops("dubbel-kolumn", edit_bytes("taggningar", lambda d: d.replace(b";roll;", b";typ;", 1)),
          "taggningar.csv, rad 1, kolumn 'typ'", "förekommer flera gånger"),
    # garbage values: the row is rejected, the rest is paid
    rejects("datum-2023-13-45", set_value("bestallningar", 2, "giltig_fran", "2023-13-45"),
            ("bestallningar.csv", 2, "giltig_fran", "ogiltigt-datum")),
    rejects("datum-igar", set_value("uppehall", 2, "fran", "igår"), ("uppehall.csv", 2, "fran", "ogiltigt-datum")),
    rejects("datum-svenskt-format", set_value("genomforandeplaner", 2, "godkand", "31/09/2023"),
            ("genomforandeplaner.csv", 2, "godkand", "ogiltigt-datum")),
    rejects("datum-30-februari-valfri-kolumn", set_value("bestallningar", 2, "verkstalld_fran", "2023-02-30"),
            ("bestallningar.csv", 2, "verkstalld_fran", "ogiltigt-datum")),
    rejects("tidpunkt-25-61", set_value("taggningar", 2, "tidpunkt", "2023-09-31 25:61"),
            ("taggningar.csv", 2, "tidpunkt", "ogiltig-tidpunkt")),
    rejects("tidpunkt-igar-kl-8", set_value("taggningar", 2, "tidpunkt", "igår kl 8"),
            ("taggningar.csv", 2, "tidpunkt", "ogiltig-tidpunkt")),
    rejects("tidpunkt-unix-sekunder", set_value("taggningar", 2, "tidpunkt", "1693807200"),
            ("taggningar.csv", 2, "tidpunkt", "ogiltig-tidpunkt")),
    *(rejects(f"minuter-{v}", set_value("bestallningar", 2, "minuter", v), ("bestallningar.csv", 2, "minuter", "ogiltigt-tal"))
      for v in ("tio", "1e5", "-30")),
    rejects("overtid-minuter-negativa", set_value("overtid", 2, "minuter", "-30"), ("overtid.csv", 2, "minuter", "ogiltigt-tal")),
    # the utförare register must be clean: any error stops the run
    stops("register-bankgiro-skrap", set_value("utforare", 2, "bankgiro", "inte-ett-nr"),
          "utforare.csv, rad 2, kolumn 'bankgiro'", "bankgironummer"),
    stops("register-avkortad-rad", cut_row("utforare", 3, 2), "utforare.csv, rad 3, kolumn 'regi'",
          "Obligatoriskt värde saknas"),
    # empty files (0 bytes) and files with only a header
    *(stops(f"tom-fil-{n}", edit_bytes(n, lambda _: b""), f"{n}.csv, rad 1", "Filen är tom")
      for n in ("utforare", "bestallningar", "taggningar")),
    stops("bara-rubrik-utforare", header_only("utforare"), "utforare.csv, rad 2", "inga utförare"),
    rejects("bara-rubrik-bestallningar", header_only("bestallningar"), paid=False),   # an empty month: nothing to pay
    rejects("bara-rubrik-taggningar", header_only("taggningar")),                     # ramtid is paid on beviljad tid
    # Excel
    stops("xlsx-formel", as_xlsx("bestallningar", formula), "bestallningar.xlsx, rad 2, kolumn 'minuter'", "formel"),
    stops("xlsx-sammanfogade-celler", as_xlsx("bestallningar", merge), "bestallningar.xlsx, rad 2, kolumn 'insats'",
          "Sammanfogade celler (D2:D3)"),
    stops("xlsx-dubbel-kolumn", as_xlsx("bestallningar", duplicate_zon), "bestallningar.xlsx, rad 1, kolumn 'zon'",
          "förekommer flera gånger"),
    stops("xlsx-tomt-forsta-blad", as_xlsx("bestallningar", empty_first_sheet), "bestallningar.xlsx, rad 1",
          "Första bladet ('Sheet') är tomt"),
    stops("xlsx-zip-med-annat", as_xlsx("bestallningar", damage=zip_of_text), "bestallningar.xlsx",
          "ingen Excelarbetsbok"),
    stops("xlsx-avkortad", as_xlsx("bestallningar", damage=lambda d: d[: len(d) // 2]), "bestallningar.xlsx",
          "Excelfilen är skadad"),
    stops("xlsx-trasigt-blad", as_xlsx("bestallningar", damage=broken_sheet_xml), "bestallningar.xlsx",
          "Excelfilen är skadad"),
    stops("xlsx-som-ar-text", as_xlsx("bestallningar", damage=lambda _: b"bestallning_id;brukare_id\n"),
          "bestallningar.xlsx", "ingen Excelfil"),
    stops("xlsx-gammalt-xls", as_xlsx("bestallningar", damage=lambda _: bytes.fromhex("d0cf11e0a1b11ae1") + bytes(512)),
          "bestallningar.xlsx", "gamla format (.xls)"),
    rejects("xlsx-fel-storlek-i-dimension", as_xlsx("bestallningar", damage=dimension_a1)),   # U2 (row 3) paid
    rejects("xlsx-minuter-tio", as_xlsx("bestallningar", lambda wb, ws: ws.__setitem__("E2", "tio")),
            ("bestallningar.xlsx", 2, "minuter", "ogiltigt-tal")),
]


# ---------------------------------------------------------------- running them

@dataclass
class Outcome:
    root: Path
    result: subprocess.CompletedProcess


def attempt(case: Case, root: Path) -> Outcome | BaseException:
    try:
        base_month().write(root)
        case.breaks(root)
        return Outcome(root, run_cli(root))
    except BaseException as exc:          # reported by the case's own test
        return exc


@pytest.fixture(scope="module")
def outcomes(request, tmp_path_factory) -> dict[str, Outcome | BaseException]:
    """Every selected case's run, in parallel (each is ~1 s of mostly interpreter start)."""
    selected = {item.callspec.params["case"].id for item in request.session.items
                if isinstance(getattr(item, "callspec", None) and item.callspec.params.get("case"), Case)}
    todo = [(c, tmp_path_factory.mktemp(c.id)) for c in CASES if c.id in selected]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return dict(zip((c.id for c, _ in todo), pool.map(lambda a: attempt(*a), todo)))


def fel_findings(root: Path) -> set[tuple]:
    text = (root / "out/2023-09/avvikelser.csv").read_text(encoding="utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text), delimiter=";") if r["allvarlighet"] == "fel"]
    return {(r["fil"], int(r["rad"]) if r["rad"] else None, r["kolumn"] or None, r["kod"]) for r in rows}


def assert_clean_terminal(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    assert "Internt fel" not in r.stderr, r.stderr
    assert not PNR.search(r.stdout + r.stderr), r.stdout + r.stderr


def assert_stopped(r: subprocess.CompletedProcess, root: Path, where: str, says: str) -> None:
    assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
    assert_clean_terminal(r)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith(("FEL: ", "… ")) for ln in lines), r.stderr
    assert any(ln.startswith(f"FEL: {where}:") and says in ln for ln in lines), r.stderr
    assert not any(w in r.stderr.lower() for w in ENGLISH), r.stderr
    assert not (root / "out").exists() or not list((root / "out").rglob("betalning/*")), "no payment file on exit 1"
    assert not (root / PAYMENT).exists()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_a_broken_file_stops_the_run_or_rejects_its_row(case: Case, outcomes):
    got = outcomes[case.id]
    if isinstance(got, BaseException):
        raise got
    r, root = got.result, got.root
    if case.exit == 1:
        assert_stopped(r, root, case.where, case.says)
        return
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert_clean_terminal(r)
    found = fel_findings(root)
    assert found == set(case.findings)
    assert all(f[0] and f[1] and f[2] for f in found), "every rejected row names file, row and column"
    assert (root / PAYMENT).exists() == case.paid
    if case.paid:     # the row of U1 was broken; U2 is paid in full
        totals = json.loads((root / "out/2023-09/manifest.json").read_text())["totals"]
        assert totals["U2"]["ore"] > 0


def test_the_unbroken_month_is_paid_without_findings(tmp_path):
    base_month().write(tmp_path)
    r = run_cli(tmp_path)
    assert r.returncode == 0, r.stderr
    assert fel_findings(tmp_path) == set()
    assert (tmp_path / PAYMENT).exists()


# ---------------------------------------------------------------- 2 GB

@pytest.mark.parametrize("kind", ["rubrik-och-nollor", "bara-nollor"])
def test_a_2_gb_file_is_refused_at_once_without_being_read(tmp_path, kind):
    """A sparse 2 GiB taggningar.csv: a valid month followed by NUL bytes (an interrupted copy,
    a preallocated file), or NUL bytes only. Before the fix it was read whole: 90 s, then an
    internal error, or killed for memory. Now its first 64 KiB decide."""
    base_month().write(tmp_path)
    path = csv_path(tmp_path, "taggningar")
    try:
        with path.open("r+b" if kind == "rubrik-och-nollor" else "wb") as f:
            f.truncate(2 * 1024**3)
        blocks = getattr(os.stat(path), "st_blocks", None)
        if blocks is None or blocks * 512 > 64 * 1024**2:
            pytest.skip("the file system here does not keep sparse files")
        r = run_cli(tmp_path, timeout=60)
    finally:
        path.unlink(missing_ok=True)
    where = "taggningar.csv, rad 6, kolumn 'handelse_id'" if kind == "rubrik-och-nollor" else "taggningar.csv, rad 1"
    assert_stopped(r, tmp_path, where, "NUL-tecken")


# ---------------------------------------------------------------- the reader's slow path, directly

def test_a_quoted_field_over_two_lines_keeps_the_line_numbers_of_later_rows():
    df = read_csv_text('a;b\n1;"två\nrader"\n3;x\n\n5;y\n', "f.csv")
    assert df.select("a", "b", "_rad").rows() == [("1", "två\nrader", 2), ("3", "x", 4), ("5", "y", 6)]


def test_a_quote_inside_an_unquoted_field_is_a_character_as_in_excel():
    df = read_csv_text('namn;regi\nOmsorg "Öst AB;privat\nOmsorg "Väst" AB;privat\n', "f.csv")
    assert df.select("namn", "_rad").rows() == [('Omsorg "Öst AB', 2), ('Omsorg "Väst" AB', 3)]


def test_lines_ending_in_cr_alone_are_read_row_by_row():
    df = read_csv_text("a;b\r1;2\r\r3;4\r", "f.csv")
    assert df.select("a", "b", "_rad").rows() == [("1", "2", 2), ("3", "4", 4)]


def test_a_polars_panic_falls_back_to_the_exact_reader(monkeypatch):
    def panic(*args, **kwargs):
        raise pl.exceptions.PanicException("index out of bounds: 19400101-1230")
    monkeypatch.setattr(pl, "read_csv", panic)
    assert read_csv_text("a;b\n1;2\n", "f.csv").rows() == [("1", "2", 2)]


def test_an_unexpected_error_while_reading_names_the_file_and_hides_its_text(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise pl.exceptions.ComputeError("could not parse '19400101-1230'")
    monkeypatch.setattr(readers, "read_csv_text", broken)
    monkeypatch.setattr(readers, "read_csv_utf8", broken)
    path = tmp_path / "taggningar.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        readers.read_table(path, "taggningar", {})
    assert [(f.plats.fil, f.plats.rad) for f in exc.value.fel] == [("taggningar.csv", None)]
    assert "ComputeError" in str(exc.value) and not PNR.search(str(exc.value))
