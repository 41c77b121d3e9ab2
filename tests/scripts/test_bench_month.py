"""scripts/benchmonth.py, the bench's month preparation: the bad-row cleaner and the heavy variant."""

import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import benchmonth  # noqa: E402

BOM = "\ufeff"
HEADER = "handelse_id;brukare_id;utforare_id;personal_id;tidpunkt;typ;metod;insatser;roll;korrigerad\n"
# P1 visits B1 twice, P2 visits B1 once (its `in` after a lone `in`), one avböjt; out of time order
ROWS = [
    "H1;B1;U1;P1;2023-09-02 08:00:00;in;tagg;;usk;nej",
    "H2;B1;U1;P2;2023-09-02 09:00:00;in;tagg;;usk;nej",
    "H3;B1;U1;P1;2023-09-01 08:00:00;in;tagg;;usk;nej",
    "H4;B1;U1;P1;2023-09-01 08:30:00;ut;tagg;RAM-tid;usk;nej",
    "H5;B1;U1;P1;2023-09-02 08:45:10;ut;manuell;RAM-tid;usk;ja",
    "H6;B1;U1;P2;2023-09-02 09:10:00;in;tagg;;usk;nej",
    "H7;B1;U1;P2;2023-09-02 09:40:00;ut;tagg;RAM-tid;usk;nej",
    "H8;B2;U1;P2;2023-09-03 10:00:00;avbojt;tagg;;usk;nej",
]


def tag_log(tmp_path: Path) -> Path:
    path = tmp_path / "taggningar.csv"
    path.write_text(BOM + HEADER + "".join(r + "\n" for r in ROWS), encoding="utf-8")
    return path


def test_visits_pair_each_in_with_the_next_ut_of_the_same_staff_and_brukare(tmp_path):
    tags = pl.read_csv(tag_log(tmp_path), separator=";", infer_schema=False).with_row_index("_row")
    pairs = sorted(benchmonth.visits(tags).select("in_row", "ut_row").iter_rows())
    assert pairs == [(0, 4), (2, 3), (5, 6)]


def test_no_visit_picked_leaves_the_file_byte_for_byte(tmp_path):
    out = tmp_path / "out.csv"
    made = benchmonth.make_heavy(tag_log(tmp_path), out, min_minutes=1, share=0.0)
    assert made["visits"] == 3 and made["changed"] == 0
    assert out.read_bytes() == (tmp_path / "taggningar.csv").read_bytes()


def test_every_visit_picked_carries_one_avvikelse_of_its_kind(tmp_path):
    out = tmp_path / "out.csv"
    made = benchmonth.make_heavy(tag_log(tmp_path), out, min_minutes=1, share=1.0)
    assert made["changed"] == 3 == sum(made[k] for k in benchmonth.KINDS)
    text = out.read_text(encoding="utf-8")
    assert text.startswith(BOM + HEADER)
    lines = text[len(BOM + HEADER):].splitlines()
    original = {r.split(";")[0]: r for r in ROWS}
    kept = [ln.split(";")[0] for ln in lines]
    assert kept == [h for h in original if h in kept]          # row order kept, rows only dropped
    assert len(ROWS) - len(lines) == made["saknar-utcheckning"]
    changed = [ln for ln in lines if ln != original[ln.split(";")[0]]]
    manual = [ln for ln in changed if ln.split(";")[6] == "manuell"]
    short = [ln for ln in changed if ln.split(";")[6] != "manuell"]
    assert len(manual) == 2 * made["saknar-tagg"]
    assert all(ln.split(";")[9] == "nej" for ln in manual)
    assert len(short) == made["kort-besok"]
    ins_plus_30s = {"2023-09-02 08:00:30", "2023-09-01 08:00:30", "2023-09-02 09:10:30"}
    assert all(ln.split(";")[5] == "ut" and ln.split(";")[4] in ins_plus_30s for ln in short)


def test_fel_rows_are_removed_by_line_number(tmp_path):
    avv = tmp_path / "avvikelser.csv"
    avv.write_text(BOM + "kod;allvarlighet;utforare_id;brukare_id;fil;rad;kolumn;meddelande\n"
                   'ogiltigt-tal;fel;U1;B1;taggningar.csv;3;minuter;"\'12,5x\' är inget tal; raden avvisas."\n'
                   "kort-besok;varning;U1;B1;taggningar.csv;5;;Besöket varade 30 s.\n"
                   "ogiltig-tidpunkt;fel;U1;B1;taggningar.csv;6;tidpunkt;'2023-09-31 25:00'\n", encoding="utf-8")
    bad = benchmonth.fel_rows(avv)
    assert bad == {"taggningar.csv": {3, 6}}
    tags = tag_log(tmp_path)
    assert benchmonth.drop_lines(tags, bad["taggningar.csv"]) == 2
    left = tags.read_text(encoding="utf-8").splitlines()
    assert left[0] == BOM + HEADER.strip()
    assert [ln.split(";")[0] for ln in left[1:]] == ["H1", "H3", "H4", "H6", "H7", "H8"]
