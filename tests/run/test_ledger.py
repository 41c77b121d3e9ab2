"""A month is paid once (issue 5): preliminary runs, the final run, reruns, refusals and
corrections (rättelse), the schedule, and the lock. Through the real command line."""

import json
import os
import sqlite3
import threading
import time

import pytest
from filelock import FileLock
from openpyxl import load_workbook

from support.lbcheck import check_lb_file
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month
from support.runs import digests
from support.cli import cli

HOUR = 45_200


def month(ram_a="600", ram_b="300") -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2)
    m.utforare("U09", "Kommunens hemtjänst", regi="egen")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", ram_a).order("B2", BRUKARE_B, "U02", "RAM-tid", ram_b)
    m.order("B3", BRUKARE_B, "U09", "Matdistribution", "60")
    return m


def run(cfg, *args, day="2023-10-09"):
    return cli("run", "2023-09", "--config", str(cfg), "--datum", day, *args)


def paid(tmp_path) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    return db.execute("SELECT p.utforare_id, p.ore, p.file FROM payments p JOIN runs r ON r.id = p.run "
                      "WHERE r.state = 'klar' ORDER BY p.rowid").fetchall()


def test_before_the_run_day_the_run_is_preliminary(tmp_path):
    cfg = month().write(tmp_path)
    r = run(cfg, day="2023-10-06")          # the 6th workday of October 2023 is the 9th
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    assert json.loads((out / "manifest.json").read_text())["status"] == "PRELIMINÄR"
    assert not (out / "betalning").exists() and paid(tmp_path) == []
    for f in [*(out / "avrakning").glob("*.xlsx"), out / "sammanstallning.xlsx"]:
        for ws in load_workbook(f).worksheets:
            assert any("PRELIMINÄR" in str(c) for c in next(ws.iter_rows(max_row=1, values_only=True))), (f.name, ws.title)


def test_final_before_the_run_day_pays(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg, "--final", day="2023-10-02").returncode == 0
    assert paid(tmp_path) == [("U01", 10 * HOUR, "betalning/lov-2023-09.txt"), ("U02", 5 * HOUR, "betalning/lov-2023-09.txt")]


def test_a_second_identical_run_changes_nothing_and_pays_nothing(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    before = digests(tmp_path / "out/2023-09")
    r = run(cfg, day="2023-11-20")
    assert r.returncode == 0 and "redan betald" in r.stdout and "inga nya betalningar" in r.stdout
    assert digests(tmp_path / "out/2023-09") == before
    assert len(paid(tmp_path)) == 2


def test_a_paid_month_whose_outputs_are_gone_is_refused_and_not_paid_again(tmp_path):
    import shutil
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    shutil.rmtree(tmp_path / "out")                         # the whole output folder, versions too
    r = run(cfg, day="2023-11-20")
    assert r.returncode == 3 and "saknas eller har ändrats" in r.stderr
    assert "inga tidigare versioner finns kvar" in r.stderr and ".versions" not in r.stderr
    assert len(paid(tmp_path)) == 2


def test_changed_inputs_of_a_paid_month_are_refused(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    before = digests(tmp_path / "out/2023-09")
    month(ram_a="660").write(tmp_path)
    r = run(cfg, day="2023-10-20")
    assert r.returncode == 3 and "--rattelse" in r.stderr and "Traceback" not in r.stderr
    assert digests(tmp_path / "out/2023-09") == before and len(paid(tmp_path)) == 2


def test_a_correction_pays_or_claims_back_only_the_difference(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    month(ram_a="660", ram_b="240").write(tmp_path)       # U01 is owed 1 h more, U02 got 1 h too much
    r = run(cfg, "--rattelse", day="2023-10-20")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    lb = check_lb_file((out / "betalning/lov-2023-09-rattelse-1.txt").read_bytes())
    assert [(p["kind"], p["amount_ore"]) for p in lb["payments"]] == [("14", HOUR), ("16", HOUR)]
    assert lb["total_ore"] == 0
    # the original payment is kept for the record, under a name no upload takes: one file to send
    assert sorted(p.name for p in (out / "betalning").iterdir()) == ["lov-2023-09-rattelse-1.txt",
                                                                      "lov-2023-09.txt.historik"]
    first = tmp_path / "out/.2023-09.versions" / sorted(os.listdir(tmp_path / "out/.2023-09.versions"))[0]
    assert sorted(p.name for p in (first / "betalning").iterdir()) == ["lov-2023-09.txt.historik"]
    assert (first / "betalning/lov-2023-09.txt.historik").read_bytes() == \
        (out / "betalning/lov-2023-09.txt.historik").read_bytes()
    sheet = {row[0]: row[1] for row in load_workbook(out / "avrakning/U02.xlsx")["Rättelse"].iter_rows(values_only=True)}
    assert (sheet["Tidigare utbetalt"], sheet["Ny avräkning"], sheet["Skillnad"]) == (2260.0, 1808.0, -452.0)
    # the sammanställning shows the month's amounts and what this correction pays or claims back
    rows = list(load_workbook(out / "sammanstallning.xlsx")["Sammanställning"].iter_rows(values_only=True))
    head = next(r for r in rows if r and "Utförare-id" in r)
    col, now = head.index("Utbetalas för månaden (kr)"), head.index("Betalas nu i rättelsen (kr)")
    by_id = {r[0]: (r[col], r[now]) for r in rows[rows.index(head) + 1:] if r and r[0]}
    assert by_id["U01"] == (4972.0, 452.0) and by_id["U02"] == (1808.0, -452.0) and by_id["Totalt"][1] == 0
    assert "Rättelse" in load_workbook(out / "avrakning/U01.xlsx").sheetnames
    assert "Rättelse" not in load_workbook(out / "avrakning/U09.xlsx").sheetnames   # egen regi unchanged
    net = {}
    for u, ore, _ in paid(tmp_path):
        net[u] = net.get(u, 0) + ore
    assert net == {"U01": 11 * HOUR, "U02": 4 * HOUR}
    man = json.loads((out / "manifest.json").read_text())
    assert man["status"] == "RÄTTELSE" and man["reconciliation"]["ok"]


def test_a_second_correction_settles_against_the_first(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    month(ram_a="660").write(tmp_path)
    assert run(cfg, "--rattelse", day="2023-10-20").returncode == 0
    month(ram_a="720").write(tmp_path)
    assert run(cfg, "--rattelse", day="2023-11-03").returncode == 0
    lb = check_lb_file((tmp_path / "out/2023-09/betalning/lov-2023-09-rattelse-2.txt").read_bytes())
    assert [(p["kind"], p["amount_ore"]) for p in lb["payments"]] == [("14", HOUR)]
    assert sum(o for u, o, _ in paid(tmp_path) if u == "U01") == 12 * HOUR
    # one file to send after two corrections; every version keeps what it sent, named as history
    assert sendable_and_history(tmp_path) == {
        "001": ([], ["lov-2023-09.txt.historik"]),
        "002": ([], ["lov-2023-09-rattelse-1.txt.historik", "lov-2023-09.txt.historik"]),
        "003": (["lov-2023-09-rattelse-2.txt"],
                ["lov-2023-09-rattelse-1.txt.historik", "lov-2023-09.txt.historik"])}
    assert os.path.basename(os.path.realpath(tmp_path / "out/2023-09")).startswith("003-")
    man = json.loads((tmp_path / "out/2023-09/manifest.json").read_text())
    assert man["payment"]["file"] == "betalning/lov-2023-09-rattelse-2.txt"
    assert {o["file"] for o in man["outputs"] if o["file"].startswith("betalning/")} == {
        "betalning/lov-2023-09-rattelse-2.txt", "betalning/lov-2023-09-rattelse-1.txt.historik",
        "betalning/lov-2023-09.txt.historik"}


def sendable_and_history(tmp_path) -> dict[str, tuple[list[str], list[str]]]:
    """Per version (by number): its payment folder's files named for sending, and the others."""
    found = {}
    for v in sorted((tmp_path / "out/.2023-09.versions").iterdir()):
        names = sorted(p.name for p in (v / "betalning").iterdir())
        found[v.name[:3]] = ([n for n in names if n.endswith((".txt", ".xml"))],
                             [n for n in names if not n.endswith((".txt", ".xml"))])
    return found


def test_an_older_versions_payment_file_named_for_sending_is_renamed_as_history(tmp_path):
    """Versions written before issue 19 kept their payment files' names: the next run of the month
    names them as history, saying so, and changes nothing else."""
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    month(ram_a="660").write(tmp_path)
    assert run(cfg, "--rattelse", day="2023-10-20").returncode == 0
    first = next((tmp_path / "out/.2023-09.versions").glob("001-*/betalning"))
    (first / "lov-2023-09.txt.historik").rename(first / "lov-2023-09.txt")      # as an older version left it
    published = digests(tmp_path / "out/2023-09")
    r = run(cfg, "--rattelse", day="2023-10-21")
    assert r.returncode == 0 and "inga nya betalningar" in r.stdout, r.stderr
    assert f"VARNING: {first / 'lov-2023-09.txt'} heter nu lov-2023-09.txt.historik" in r.stderr, r.stderr
    assert sendable_and_history(tmp_path)["001"] == ([], ["lov-2023-09.txt.historik"])
    assert digests(tmp_path / "out/2023-09") == published


def test_a_correction_of_an_unpaid_month_is_a_usage_error(tmp_path):
    cfg = month().write(tmp_path)
    assert run(cfg, "--rattelse").returncode == 2


def test_due_runs_only_on_the_run_day(tmp_path):
    cfg = month().write(tmp_path)
    r = cli("run", "--due", "--config", str(cfg), "--datum", "2023-10-06")
    assert r.returncode == 0 and "Ingen körning idag" in r.stdout and not (tmp_path / "out").exists()
    r = cli("run", "--due", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0 and (tmp_path / "out/2023-09/betalning/lov-2023-09.txt").exists()
    r = cli("run", "--due", "--config", str(cfg), "--datum", "2023-10-09")   # cron twice: nothing new
    assert r.returncode == 0 and "redan betald" in r.stdout


def test_schedule_prints_every_month(tmp_path):
    cfg = month().write(tmp_path)
    r = cli("schedule", "2024", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln.startswith("2024-")}
    assert len(lines) == 12
    assert lines["2024-05"] == ["2024-06-11", "2024-06-14"]     # 6 June is the national day; the 15th a Saturday
    assert lines["2024-12"] == ["2025-01-10", "2025-01-15"]     # 1 and 6 January are holidays


def test_a_second_run_waits_or_is_refused(tmp_path):
    cfg = month().write(tmp_path)
    (tmp_path / "state").mkdir()
    lock = FileLock(str(tmp_path / "state/lovkorning.lock"), thread_local=False)
    lock.acquire()
    try:
        r = run(cfg)
        assert r.returncode == 3 and "annan körning pågår" in r.stderr
        threading.Timer(1.0, lock.release).start()
        t0 = time.monotonic()
        r = run(cfg, "--vanta", "30")
        assert r.returncode == 0 and time.monotonic() - t0 >= 1.0
    finally:
        if lock.is_locked:
            lock.release()


def month_without_u02_paid(tmp_path, change: str) -> Month:
    """The month paid, then U02 turned egen regi ('egen') or taken out of the register ('removed')."""
    cfg = month().write(tmp_path)
    assert run(cfg).returncode == 0
    m = Month().utforare("U01", "Omsorg Öst AB")
    if change == "egen":
        m.utforare("U02", "Väst AB", regi="egen")
    m.utforare("U09", "Kommunens hemtjänst", regi="egen")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B3", BRUKARE_B, "U09", "Matdistribution", "60")
    if change == "egen":
        m.order("B2", BRUKARE_B, "U02", "RAM-tid", "300")
    m.write(tmp_path)
    return cfg


@pytest.mark.parametrize("change", ["egen", "removed"])
def test_a_correction_claims_back_from_an_utforare_no_longer_paid(tmp_path, change):
    cfg = month_without_u02_paid(tmp_path, change)
    r = run(cfg, "--rattelse", day="2023-10-20")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    lb = check_lb_file((out / "betalning/lov-2023-09-rattelse-1.txt").read_bytes())
    assert [(p["kind"], p["amount_ore"], p["bankgiro"]) for p in lb["payments"]] == [("16", 5 * HOUR, "12345674")]
    assert lb["total_ore"] == -5 * HOUR
    net = {}
    for u, ore, _ in paid(tmp_path):
        net[u] = net.get(u, 0) + ore
    assert net == {"U01": 10 * HOUR, "U02": 0}
    assert "U02" in r.stdout
    if change == "egen":
        sheet = {row[0]: row[1] for row in load_workbook(out / "avrakning/U02.xlsx")["Rättelse"].iter_rows(values_only=True)}
        assert (sheet["Tidigare utbetalt"], sheet["Ny avräkning"], sheet["Skillnad"]) == (2260.0, 0.0, -2260.0)


def test_a_correction_without_a_bankgiro_for_the_credit_is_refused(tmp_path):
    """A ledger written before payments kept their bankgiro cannot say where to send the credit."""
    cfg = month_without_u02_paid(tmp_path, "removed")
    db = sqlite3.connect(tmp_path / "state/ledger.sqlite")
    db.execute("UPDATE payments SET bankgiro = NULL")
    db.commit()
    db.close()
    before = digests(tmp_path / "out/2023-09")
    r = run(cfg, "--rattelse", day="2023-10-20")
    assert r.returncode == 1 and "U02" in r.stderr and "bankgiro" in r.stderr and "Traceback" not in r.stderr
    assert digests(tmp_path / "out/2023-09") == before and len(paid(tmp_path)) == 2


def test_a_dry_run_shows_what_a_real_run_would_do_with_a_paid_month(tmp_path):
    """--dry-run reads the ledger (no lock, no write): a paid month is not shown as paid again."""
    cfg = month().write(tmp_path)
    assert run(cfg, "--dry-run", "--rattelse").returncode == 2          # not paid: as the real run
    assert run(cfg).returncode == 0
    state, out = digests(tmp_path / "state"), digests(tmp_path / "out")
    r = run(cfg, "--dry-run", day="2023-10-20")
    assert r.returncode == 0, r.stderr
    assert "skulle inte betala något nytt" in r.stdout and "Att betala till" not in r.stdout
    month(ram_a="660", ram_b="240").write(tmp_path)
    r = run(cfg, "--dry-run", day="2023-10-20")
    assert r.returncode == 3 and "--rattelse" in r.stderr                # the real run would refuse
    r = run(cfg, "--dry-run", "--rattelse", day="2023-10-20")
    assert r.returncode == 0, r.stderr
    assert "En rättelse skulle ändra utbetalningen till 2 utförare, netto 0,00 kr" in r.stdout
    rows = {ln.split()[0]: ln.split()[1:] for ln in r.stdout.splitlines() if ln.startswith(("U01 ", "U02 "))}
    assert rows["U01"][-1] == "452,00" and rows["U02"][-1] == "-452,00", r.stdout
    assert digests(tmp_path / "state") == state and digests(tmp_path / "out") == out
    assert sorted(p.name for p in (tmp_path / "state").iterdir()) == ["historik", "ledger.sqlite", "lovkorning.lock"]


def with_run_workday(cfg, n: int):
    cfg.write_text(cfg.read_text().replace("run_workday: 6", f"run_workday: {n}"))
    return cfg


def test_a_run_warns_of_a_payment_day_before_the_run_day_in_the_coming_months_and_pays(tmp_path):
    """run_workday 10 and day 15: 2023-09 itself is fine (run 2023-10-13, paid 2023-10-13), but in
    April and May 2024 the payment day comes before the run. The run pays, and warns with the
    config's line, so that the schedule is mended before then."""
    cfg = with_run_workday(month().write(tmp_path), 10)
    r = run(cfg, day="2023-10-13")
    assert r.returncode == 0, r.stderr
    assert "VARNING: " in r.stderr and "lovkorning.yaml, rad 12: betalningsdagen (15, roll preceding) infaller före " \
           "körningsdagen (10:e arbetsdagen) för 2 månader: 2024-04, 2024-05" in r.stderr, r.stderr
    assert paid(tmp_path) == [("U01", 10 * HOUR, "betalning/lov-2023-09.txt"), ("U02", 5 * HOUR, "betalning/lov-2023-09.txt")]


def test_a_month_whose_payment_day_comes_before_its_run_is_paid_at_once(tmp_path):
    """run_workday 12 and day 15: 2023-09 is to be paid 2023-10-13 but runs 2023-10-17. The run
    does not stop on it: the payment file says GENAST, and the run warns."""
    cfg = with_run_workday(month().write(tmp_path), 12)
    r = run(cfg, day="2023-10-17")
    assert r.returncode == 0 and "för 2023-09 betalas 2023-10-13 men körningen sker 2023-10-17" in r.stderr, r.stderr
    tk14 = [ln for ln in (tmp_path / "out/2023-09/betalning/lov-2023-09.txt").read_text("latin-1").splitlines()
            if ln.startswith("14")]
    assert len(tk14) == 2 and all("GENAST" in ln for ln in tk14)


def test_a_month_without_its_run_workday_stops_at_the_configs_line(tmp_path):
    """run_workday 20: December 2023 has 19 workdays, so 2023-11 has no run day."""
    cfg = with_run_workday(month().write(tmp_path), 20)
    r = cli("run", "2023-11", "--config", str(cfg), "--datum", "2023-12-28", "--dry-run")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "FEL: " in r.stderr and "lovkorning.yaml, rad 11: 'run_workday' 20 finns inte i varje månad: körningen för " \
           "månaden 2023-11 får ingen körningsdag" in r.stderr, r.stderr


def test_the_schedule_of_a_year_shows_a_month_without_its_run_day_and_names_it(tmp_path):
    cfg = with_run_workday(month().write(tmp_path), 20)
    r = cli("schedule", "2023", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert "2023-03  –            –" in r.stdout and "2023-02  2023-03-28   2023-03-15" in r.stdout, r.stdout
    assert "VARNING: " in r.stderr and "körningen för 2 månader: 2023-03, 2023-11 får ingen körningsdag (2023-04 har " \
           "bara 18 arbetsdagar, inte 20)" in r.stderr, r.stderr
