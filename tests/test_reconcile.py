"""The payment file, the workbooks and the manifest agree to the öre, or no payment file is written."""

import json
from datetime import date
from zipfile import ZipFile
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lbcheck import check_lb_file
from lovkorning.writers import readback
from lovkorning.config import load
from lovkorning.errors import ReconciliationError
from lovkorning.period import Period
from lovkorning.runner import execute
from monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D, Month

SEP = Period(2023, 9)


def run(cfg_path):
    cfg = load(cfg_path)
    return cfg, execute(cfg, SEP, date(2023, 10, 9))


def small_month() -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U02", "RAM-tid", "333,3", zon="landsbygd")
    return m


def test_a_workbook_that_disagrees_stops_the_payment_file(tmp_path, monkeypatch):
    real = readback.workbook_total
    monkeypatch.setattr(readback, "workbook_total", lambda p: real(p) + (1 if p.stem == "U02" else 0))
    with pytest.raises(ReconciliationError):
        run(small_month().write(tmp_path))
    out = tmp_path / "out/2023-09"
    assert not (out / "betalning").exists() or not any((out / "betalning").iterdir())
    man = json.loads((out / "manifest.json").read_text())
    assert man["payment"] is None and man["reconciliation"]["ok"] is False


def test_no_float_noise_in_any_cell(tmp_path):
    _, written = run(small_month().write(tmp_path))
    for wb in (written.out_dir / "avrakning").glob("*.xlsx"):
        with ZipFile(wb) as z:
            for name in z.namelist():
                if name.startswith("xl/worksheets/"):
                    noisy = re.findall(rb"<v>-?\d+\.\d{3,}</v>", z.read(name))
                    assert not [v for v in noisy if b"0000000" in v or b"9999999" in v], (wb.name, name, noisy[:3])


minutes = st.decimals(min_value=0, max_value=5000, places=1)
zon = st.sampled_from(["tätort", "landsbygd"])


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from([BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D]),
                          st.sampled_from(["U01", "U02", "U03"]), st.sampled_from(["RAM-tid", "Avlösning", "Matdistribution"]),
                          minutes, st.sampled_from(["dag", "vecka", "manad"]), zon, st.integers(1, 30)),
                min_size=1, max_size=8),
       st.lists(st.tuples(st.sampled_from([BRUKARE_A, BRUKARE_B]), st.sampled_from(["U01", "U02"]),
                          st.integers(1, 30), st.integers(30, 30000)), max_size=8),
       st.booleans())
def test_random_months_always_reconcile(tmp_path_factory, orders, visits, heltid):
    tmp = tmp_path_factory.mktemp("m")
    m = Month().utforare("U01", "Omsorg Öst AB", flaggor="saknar_heltid" if heltid else "")
    m.utforare("U02", "Väst AB", bankgiro=BG_2).utforare("U03", "Kommunen", regi="egen")
    for i, (b, u, insats, mins, per, z, start) in enumerate(orders):
        m.order(f"B{i}", b, u, insats, str(mins).replace(".", ","), per=per, zon=z, fran=f"2023-09-{start:02d}")
    for j, (b, u, day, secs) in enumerate(visits):
        m.visit(b, u, f"P{j}", f"2023-09-{day:02d} 08:00:00", secs, "Avlösning")
    cfg, written = run(m.write(tmp, config_extra="momskompensation: {percent: 3}\n"))
    man = json.loads((written.out_dir / "manifest.json").read_text())
    private = sum(v["ore"] for v in man["totals"].values() if v["regi"] == "privat" and v["ore"] > 0)
    assert man["reconciliation"]["ok"]
    if private:
        assert check_lb_file(written.payment_path.read_bytes())["total_ore"] == private
