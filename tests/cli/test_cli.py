"""The command line through its real entry point: exit codes, files written, nothing leaked."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook

from support.lbcheck import check_lb_file
from support.cli import PNR, cli, seed001_month
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, Month

REPO = Path(__file__).resolve().parents[2]


def test_seed001_timunderlag_from_input_files_to_workbook(tmp_path):
    cfg = seed001_month().write(tmp_path)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    ws = load_workbook(tmp_path / "out/2023-09/avrakning/U01.xlsx")["Timunderlag"]
    rows = {row[0]: row[1:8] for row in ws.iter_rows(values_only=True) if row[0] in ("RAM-tid", "Morgonhjälp", "Totalt")}
    assert rows["RAM-tid"] == (12.43, None, 12.43, 8.13, 12.43, 32, 0.25)
    assert rows["Morgonhjälp"][3:7] == (0.15, 0, 1, 0.15)
    assert rows["Totalt"] == (12.43, None, 12.43, 8.28, 12.43, 33, 0.25)


def test_run_writes_reconciled_outputs(tmp_path):
    m = seed001_month().utforare("U02", "Hemtjänst Väst AB", bankgiro=BG_2).utforare("U09", "Kommunens hemtjänst", regi="egen")
    m.order("B2", BRUKARE_B, "U02", "RAM-tid", "600").order("B3", BRUKARE_B, "U09", "Matdistribution", "60")
    cfg = m.write(tmp_path)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "out/2023-09"
    man = json.loads((out / "manifest.json").read_text())
    lb = check_lb_file((out / "betalning/lov-2023-09.txt").read_bytes())
    private = sum(v["ore"] for v in man["totals"].values() if v["regi"] == "privat")
    assert lb["count"] == 2 and lb["total_ore"] == private == 561_836 + 10 * 45_200
    assert man["total_ore"] == private + 45_200
    assert sorted(p.name for p in (out / "avrakning").iterdir()) == ["U01.xlsx", "U02.xlsx", "U09.xlsx"]
    assert man["reconciliation"]["ok"] is True
    assert {o["file"] for o in man["outputs"]} >= {"avvikelser.csv", "sammanstallning.xlsx", "betalning/lov-2023-09.txt"}
    assert oct(os.stat(out / "betalning/lov-2023-09.txt").st_mode & 0o777) == "0o600"


def test_terminal_output_never_shows_a_personnummer(tmp_path):
    cfg = seed001_month().write(tmp_path)
    for args in (("run", "2023-09"), ("validate", "2023-09"), ("run", "2023-09", "--dry-run")):
        r = cli(*args, "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        assert not PNR.search(r.stdout + r.stderr), (args, r.stdout)


def test_dry_run_writes_nothing(tmp_path):
    cfg = seed001_month().write(tmp_path)
    r = cli("run", "2023-09", "--config", str(cfg), "--dry-run")
    assert r.returncode == 0 and "5\u00a0618,36" in r.stdout
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,code", [
    (("run", "2023-13"), 2),
    (("run", "2023-09", "--datum", "2023-10-32"), 2),
    (("run",), 2),
    (("frobnicate",), 2),
    (("run", "2023-09", "--config", "/nonexistent/lovkorning.yaml"), 1),
    (("check-config", "/nonexistent.yaml"), 1),
])
def test_exit_codes(args, code):
    r = cli(*args)
    assert r.returncode == code, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr


def test_broken_input_exits_1_with_file_row_and_column(tmp_path):
    m = seed001_month()
    cfg = m.write(tmp_path)
    f = tmp_path / "data/2023-09/bestallningar.csv"
    f.write_text(f.read_text(encoding="utf-8-sig").replace("minuter;", "minutes;"), encoding="utf-8")
    r = cli("run", "2023-09", "--config", str(cfg))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "bestallningar.csv, rad 1, kolumn 'minuter'" in r.stderr
    assert not (tmp_path / "out").exists()


def test_check_config_explains_and_rejects(tmp_path):
    r = cli("check-config", str(REPO / "config/norrkoping.yaml"), "--manad", "2023-10")
    assert r.returncode == 0, r.stderr
    assert "Ramtid" in r.stdout and "468,00" in r.stdout and "2023-11-08" in r.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text((REPO / "config/norrkoping.yaml").read_text().replace("basis: beviljad", "basis: bevilad", 1))
    r = cli("check-config", str(bad))
    assert r.returncode == 1 and "okänd basis 'bevilad'" in r.stderr and ":" in r.stderr


def test_config_from_environment(tmp_path):
    cfg = seed001_month().write(tmp_path)
    r = cli("validate", "2023-09", cwd=tmp_path / "data", env={"LOVKORNING_CONFIG": str(cfg)})
    assert r.returncode == 0, r.stderr


def test_every_command_has_help_and_is_in_the_readme():
    from lovkorning.cli import app
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"run", "validate", "check-config"} <= set(names)
    for name in names:
        r = cli(name, "--help")
        assert r.returncode == 0 and f"Användning: lovkorning {name}" in r.stdout
        assert f"lovkorning {name}" in readme, name


@pytest.mark.parametrize("old,new,message", [
    ("basis: schablon", "basis: schablong", "okänd basis 'schablong'"),
    ("rate: uppstart", "rate: uppstartt", "okänd rate 'uppstartt'"),
    ("      Inköp: 60", "      Inköpp: 60", "okänd insats 'Inköpp'"),
])
def test_check_config_rejects_unknown_basis_rate_and_insats(tmp_path, old, new, message):
    text = (REPO / "config/osteraker-insats.yaml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    r = cli("check-config", str(bad))
    assert r.returncode == 1 and message in r.stderr and "bad.yaml, rad" in r.stderr, r.stderr


def test_check_config_explains_how_each_insats_is_paid_in_a_month():
    r = cli("check-config", str(REPO / "config/osteraker-insats.yaml"), "--manad", "2023-09")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("Inköp "))
    assert "60 min per registrerad insats" in line and "tätort 430,00" in line
    r = cli("check-config", str(REPO / "config/norrkoping.yaml"), "--manad", "2023-10")
    assert "468,00" in next(ln for ln in r.stdout.splitlines() if ln.startswith("RAM-tid"))


def test_a_summary_that_cannot_be_shown_after_a_paid_run_says_the_run_is_done(tmp_path, monkeypatch):
    """The month is settled, written and recorded; only the terminal summary fails. The message
    must not say 'Inget betalades' (the payment file exists), and a rerun pays nothing again."""
    from typer.testing import CliRunner

    from lovkorning import cli as cli_module
    from lovkorning.cli import show as report

    def broken(*args, **kwargs):
        raise ValueError("the summary broke")
    cfg = seed001_month().write(tmp_path)
    monkeypatch.setattr(report, "print_run", broken)
    r = CliRunner().invoke(cli_module.app, ["run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09"])
    assert r.exit_code == 1
    text = r.stderr if hasattr(r, "stderr") and r.stderr else r.output
    assert "Körningen är klar (SLUTLIG)" in text and "Inget betalades" not in text
    assert (tmp_path / "out/2023-09/betalning/lov-2023-09.txt").exists()
    again = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09")
    assert again.returncode == 0 and "oförändrad" in again.stdout.lower()


def test_a_history_that_cannot_be_saved_after_a_paid_run_is_a_warning(tmp_path, monkeypatch):
    """The payment is recorded before the history is saved: a failure there warns, exits 0 and
    never says 'Inget betalades'; the next run with the same inputs saves it and pays nothing."""
    from typer.testing import CliRunner

    from lovkorning import cli as cli_module
    from lovkorning.run import history

    def broken(*args, **kwargs):
        raise OSError(30, "Read-only file system")
    cfg = seed001_month().write(tmp_path)
    monkeypatch.setattr(history, "save", broken)
    r = CliRunner().invoke(cli_module.app, ["run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09"])
    text = r.stderr if hasattr(r, "stderr") and r.stderr else r.output
    assert r.exit_code == 0, text
    assert "VARNING: Historiken för 2023-09 kunde inte sparas" in text and "Inget betalades" not in text
    assert (tmp_path / "out/2023-09/betalning/lov-2023-09.txt").exists()
    assert not (tmp_path / "state/historik/2023-09/meta.json").exists()
    monkeypatch.undo()
    again = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-20")
    assert again.returncode == 0 and "inga nya betalningar" in again.stdout and "VARNING" not in again.stderr
    assert json.loads((tmp_path / "state/historik/2023-09/meta.json").read_text())["run_id"]


def test_an_invalid_datum_is_wrong_usage_in_swedish(tmp_path):
    cfg = seed001_month().write(tmp_path)
    r = cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-32")
    assert r.returncode == 2 and "inget giltigt datum" in r.stderr and "Internt fel" not in r.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()


def test_check_config_lists_catalogue_insatser_that_no_rule_names():
    r = cli("check-config", str(REPO / "config/norrkoping.yaml"), "--manad", "2023-10")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("Morgonhjälp "))
    assert "ingen regel – avvikelse, ersätts inte" in line
    named = next(ln for ln in r.stdout.splitlines() if ln.startswith("Natthjälp "))
    assert "ersätts inte" in named and "ingen regel" not in named     # named by a basis: none rule


def test_messages_print_square_brackets_as_they_are(capsys):
    """The terminal prints messages literally: a value or list in brackets is not taken for markup."""
    from lovkorning.cli import show as report
    report.console().print("FEL: ska vara en lista, t.ex. [dusch, bad]; fil [b]2023.csv")
    out = capsys.readouterr().out
    assert "[dusch, bad]" in out and "[b]2023.csv" in out


def test_validate_says_how_many_error_rows_it_left_out(tmp_path):
    m = Month().utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    for day in range(1, 4):                     # three rows with an impossible time
        m.event(BRUKARE_A, "U01", "P1", f"2023-09-0{day} 25:00:00", "in")
    cfg = m.write(tmp_path)
    r = cli("validate", "2023-09", "--visa", "2", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("FEL taggningar.csv") == 2 and "… och 1 fel-rader till (alla: --visa 0)." in r.stdout
    r = cli("validate", "2023-09", "--visa", "0", "--config", str(cfg))
    assert r.stdout.count("FEL taggningar.csv") == 3 and "fel-rader till" not in r.stdout


def test_validate_a_month_not_yet_exported_names_the_month_and_the_folder(tmp_path):
    cfg = seed001_month().write(tmp_path)
    r = cli("validate", "2023-10", "--config", str(cfg))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"FEL: {tmp_path / 'data/2023-10'}: Inga indata för 2023-10: mappen finns inte."
    (tmp_path / "data/2023-10").mkdir()                  # made ahead of the export, still empty
    r = cli("validate", "2023-10", "--config", str(cfg))
    assert r.returncode == 1
    assert f"{tmp_path / 'data/2023-10'}: Inga indata för 2023-10: mappen har ingen av månadens indatafiler" in r.stderr


def test_run_due_on_the_run_day_of_a_month_without_a_folder_says_which(tmp_path):
    """Cron on 2023-10-09, the run day of September; only August was exported."""
    cfg = Month(month="2023-08").utforare("U01", "Omsorg Öst AB").order("B1", BRUKARE_A, "U01", "RAM-tid", "600").write(
        tmp_path)
    r = cli("run", "--due", "--datum", "2023-10-09", "--config", str(cfg))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip() == f"FEL: {tmp_path / 'data/2023-09'}: Inga indata för 2023-09: mappen finns inte."
    assert not (tmp_path / "out").exists() and not (tmp_path / "state").exists()
