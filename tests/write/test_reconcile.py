"""The payment file, the workbooks and the manifest agree to the öre, or no payment file is written."""

import json
from datetime import date
from zipfile import ZipFile
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.lbcheck import check_lb_file
from lovkorning.write import readback
from lovkorning.config.loaded import load
from lovkorning.core.errors import ReconciliationError
from lovkorning.core.period import Period
from lovkorning.run.runner import execute
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D, Month

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


# --------------------------------------------------------------------------- review: what the run writes


def _rows(path, sheet):
    import openpyxl
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def test_manifest_lists_every_config_file_behind_the_config_sha256(tmp_path):
    """The config sha256 is over the whole extends chain: the manifest names each file with its
    own sha256, in the order hashed, so an auditor can verify it."""
    import hashlib
    base = small_month().write(tmp_path)
    outer = tmp_path / "korning.yaml"
    outer.write_text("version: 1\nextends: lovkorning.yaml\n", encoding="utf-8")
    cfg, written = run(outer)
    conf = json.loads((written.out_dir / "manifest.json").read_text())["config"]
    assert conf["path"] == "korning.yaml" and conf["sha256"] == cfg.sha256
    assert [f["path"] for f in conf["files"]] == [str(base.resolve()), str(outer.resolve())]
    for f in conf["files"]:
        assert hashlib.sha256(open(f["path"], "rb").read()).hexdigest() == f["sha256"]
    joined = b"\0".join(open(f["path"], "rb").read() for f in conf["files"])
    assert hashlib.sha256(joined).hexdigest() == conf["sha256"]
    assert "NUL" in conf["sha256_of"]


def test_a_run_leaves_insatser_outside_lov_out_of_the_lov_sheets(tmp_path):
    """Natthjälp (basis none) ordered and performed: reported, never in Timunderlag LOV or the
    sammanställning's Beviljad tid LOV, and listed on its own sheet."""
    m = small_month().order("B9", BRUKARE_A, "U01", "Natthjälp", "120")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 02:00:00", 1800, "Natthjälp")
    _, written = run(m.write(tmp_path))
    wb = written.out_dir / "avrakning" / "U01.xlsx"
    assert [r[0] for r in _rows(wb, "Timunderlag")[1:]] == ["RAM-tid", "Totalt"]
    assert _rows(wb, "Timunderlag")[-1][3] == 10.0
    assert [r[1] for r in _rows(wb, "Utanför LOV")[3:]] == ["Natthjälp"]
    rows = _rows(written.out_dir / "sammanstallning.xlsx", "Sammanställning")
    header = next(r for r in rows if r[0] == "Utförare-id")
    u01 = next(r for r in rows if r[0] == "U01")
    assert u01[header.index("Beviljad tid LOV (h)")] == 10.0 and u01[header.index("Utförd tid (h)")] == 0
    codes = (written.out_dir / "avvikelser.csv").read_text(encoding="utf-8-sig")
    assert "ej-i-lov" in codes


def test_a_late_run_shows_genast_where_the_payment_file_has_it(tmp_path):
    """Run on the payment day itself (2023-10-13): the TK14 carries GENAST, and so do the sheets."""
    cfg = load(small_month().write(tmp_path))
    written = execute(cfg, SEP, date(2023, 10, 13))
    tk14 = [r for r in written.payment_path.read_bytes().split(b"\r\n") if r.startswith(b"14")]
    assert tk14 and all(r[49:55] == b"GENAST" for r in tk14)      # positions 50–55
    want = "Omgående (GENAST), planerad 2023-10-13"
    summary = _rows(written.out_dir / "avrakning" / "U01.xlsx", "Sammanfattning")
    assert next(r for r in summary if r[0] == "Betalningsdag")[1] == want
    rows = _rows(written.out_dir / "sammanstallning.xlsx", "Sammanställning")
    assert next(r for r in rows if r[0] == "Betalningsdag")[1] == want


def test_config_files_are_what_the_loader_read_and_never_guessed(tmp_path):
    import hashlib
    from lovkorning.write.files import config_files
    cfg = load(small_month().write(tmp_path))
    read = cfg.path.read_bytes()
    assert config_files(cfg) == [{"path": str(cfg.path), "sha256": hashlib.sha256(read).hexdigest()}]
    assert hashlib.sha256(read).hexdigest() == cfg.sha256         # one file: the combined hash is its own
    cfg.path.write_text(cfg.path.read_text() + "# changed after loading\n", encoding="utf-8")
    # the manifest names the bytes the run was settled with, not the file as it is now
    assert config_files(cfg)[0]["sha256"] == hashlib.sha256(read).hexdigest() != hashlib.sha256(
        cfg.path.read_bytes()).hexdigest()
