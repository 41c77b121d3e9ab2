"""besok/<utforare_id>.csv: every visit line by line, each file only its own utförare's brukare,
the codes of the visit's findings, and counted seconds that add up to the Timunderlag."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, Month

REPO = Path(__file__).resolve().parents[2]


def run(cfg: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from lovkorning.cli import main; main()", "run", "2023-09",
                           "--config", str(cfg), "--datum", "2023-10-09"], cwd=REPO, capture_output=True, text=True)


def rows(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def month() -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U01", "RAM-tid", "600")
    m.order("B3", BRUKARE_C, "U02", "RAM-tid", "600")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")   # open until 09:00 …
    m.visit(BRUKARE_B, "U01", "P1", "2023-09-04 08:20:00", 1200, "RAM-tid")   # … but at B from 08:20
    m.visit(BRUKARE_A, "U01", "P2", "2023-09-05 08:00:00", 1800, "RAM-tid")
    m.visit(BRUKARE_A, "U01", "P3", "2023-09-05 08:20:00", 1800, "RAM-tid")   # two at once, no dubbelbemanning
    m.visit(BRUKARE_C, "U02", "P9", "2023-09-06 10:00:00", 30, "RAM-tid")     # too short
    m.visit(BRUKARE_C, "U02", "P9", "2023-09-07 10:00:00", 1500, "RAM-tid", metod_in="manuell", metod_ut="manuell")
    m.visit(BRUKARE_C, "U02", "P9", "2023-09-08 10:00:00", 2400, "RAM-tid")
    return m


def test_each_visit_once_in_its_utforares_file_with_the_codes_of_its_findings(tmp_path):
    cfg = month().write(tmp_path)
    r = run(cfg)
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    u01, u02 = rows(out / "besok/U01.csv"), rows(out / "besok/U02.csv")
    assert {v["brukare_id"] for v in u01} == {BRUKARE_A.replace("-", ""), BRUKARE_B.replace("-", "")}
    assert {v["brukare_id"] for v in u02} == {BRUKARE_C.replace("-", "")}
    by_row = {(v["fil"], int(v["in_rad"])): v for v in u01 + u02}
    assert len(by_row) == len(u01) + len(u02) == 7
    # the visit findings of avvikelser.csv, by the check-in row they name
    text = (out / "avvikelser.csv").read_bytes().decode("utf-8")[1:]
    found = {(f["fil"], int(f["rad"])): f["kod"] for f in csv.DictReader(io.StringIO(text), delimiter=";")}
    assert {k: v["koder"] for k, v in by_row.items() if v["koder"]} == found
    assert sorted(found.values()) == ["dubbelbemanning-saknas", "kort-besok", "saknar-tagg", "samtidiga-besok"]
    assert [v["raknas"] for v in u02] == ["nej", "nej", "ja"]
    # counted: A until P1 checked in at B (20 min), B 20 min, P2 30 min, P3 from when P2 left (20 min)
    assert sorted(int(v["raknade_sekunder"]) for v in u01) == [1200, 1200, 1200, 1800]
    man = json.loads((out / "manifest.json").read_text())
    assert {"besok/U01.csv", "besok/U02.csv"} <= {o["file"] for o in man["outputs"]}
