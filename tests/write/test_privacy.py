"""Privacy over all committed sample data (issue 5): a settlement workbook holds only its own
utförare's brukare (the leak seen in seed 002), outputs are readable by the owner only, and the
terminal never shows a personnummer."""

import re
import stat
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.run.runner import execute
from support.cli import PNR, cli

REPO = Path(__file__).resolve().parents[2]
CONFIGS = ["lovkorning.yaml", "config/norrtalje.yaml", "config/osteraker.yaml", "config/osteraker-insats.yaml"]
ID = re.compile(r"\b(\d{8})-?(\d{4})\b")


def config_in(tmp_path: Path, name: str) -> Path:
    cfg = tmp_path / "lovkorning.yaml"
    cfg.write_text(f"version: 1\nextends: {REPO / name}\noutput: {{dir: \"{tmp_path}/out/{{month}}\"}}\n"
                   f"state: {{dir: {tmp_path / 'state'}}}\n", encoding="utf-8")
    return cfg


@pytest.fixture(scope="module", params=CONFIGS)
def settled_run(request, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("p")
    cfg = load(config_in(tmp, request.param))
    outcome = execute(cfg, Period(2023, 9), date(2023, 10, 9))
    return outcome, tmp


def test_no_workbook_holds_another_utforares_brukare(settled_run):
    outcome, _ = settled_run
    avr = outcome.settled.avr
    frames = [avr.tid, avr.rader, avr.avvikelser]
    owner = pl.concat([f.select("utforare_id", "brukare_id") for f in frames]).drop_nulls().unique()
    mine = {u: set(g["brukare_id"].to_list()) for (u,), g in owner.group_by(["utforare_id"])}
    every = set(owner["brukare_id"].to_list())
    for path in (outcome.out_dir / "avrakning").glob("*.xlsx"):
        uid = path.stem
        seen = set()
        for ws in load_workbook(path, read_only=True).worksheets:
            for row in ws.iter_rows(values_only=True):
                for cell in row:
                    if isinstance(cell, str):
                        seen |= {a + b for a, b in ID.findall(cell)}
        assert seen & every <= mine.get(uid, set()), f"{path.name} holds brukare of another utförare"


def test_no_visit_file_holds_another_utforares_brukare(settled_run):
    outcome, _ = settled_run
    visits = outcome.settled.visits.besok
    mine = {u: set(g["brukare_id"].to_list()) for (u,), g in visits.group_by(["utforare_id"])}
    files = sorted((outcome.out_dir / "besok").glob("*.csv"))
    assert [f.stem for f in files] == sorted(outcome.settled.avr.utforare["utforare_id"].to_list())
    for path in files:
        seen = {a + b for a, b in ID.findall(path.read_text(encoding="utf-8-sig"))}
        assert seen <= mine.get(path.stem, set()), f"{path.name} holds brukare of another utförare"


def test_outputs_are_readable_by_the_owner_only(settled_run):
    _, tmp = settled_run
    for p in (tmp / "out").rglob("*"):
        if p.is_symlink():
            continue
        mode = stat.S_IMODE(p.stat().st_mode)
        assert mode & 0o077 == 0, (p, oct(mode))
    for p in (tmp / "state").rglob("*"):
        if p.is_file() and p.suffix in (".sqlite", ".parquet", ".json"):
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


@pytest.mark.parametrize("name", CONFIGS)
def test_terminal_output_of_every_sample_has_no_personnummer(tmp_path, name):
    cfg = config_in(tmp_path, name)
    for args in (("run", "2023-09", "--dry-run"), ("validate", "2023-09"), ("diff", "2023-09", "--months", "1", "--by", "brukare")):
        r = cli(*args, "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        assert not PNR.search(r.stdout + r.stderr), (name, args)


def test_every_file_the_command_line_creates_is_the_owners_only(tmp_path):
    cfg = config_in(tmp_path, "lovkorning.yaml")
    assert cli("run", "2023-09", "--config", str(cfg), "--datum", "2023-10-09").returncode == 0
    for p in [*(tmp_path / "out").rglob("*"), *(tmp_path / "state").rglob("*")]:
        if not p.is_symlink():
            assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, (p, oct(p.stat().st_mode))


def test_a_personnummer_typed_into_another_column_is_not_quoted_back(tmp_path):
    """A bad value is quoted in its finding ('… är ingen giltig tidpunkt'); when the value is a
    personnummer typed into the wrong column, the terminal and avvikelser.csv hide it."""
    from support.monthbuilder import BRUKARE_A, BRUKARE_B, Month
    m = Month().utforare("U01", "Omsorg Öst AB")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")
    m.event(BRUKARE_A, "U01", "P1", BRUKARE_B, "in")                         # tidpunkt holds a personnummer
    m.order("B2", BRUKARE_A, "U01", "RAM-tid", BRUKARE_B.replace("-", ""))   # minuter holds one, 12 digits
    cfg = m.write(tmp_path)
    for args in (("validate", "2023-09"), ("run", "2023-09", "--datum", "2023-10-09")):
        r = cli(*args, "--config", str(cfg))
        assert r.returncode == 0, r.stderr
        assert "dold: ser ut som ett personnummer" in r.stdout + r.stderr or args[0] == "run"
        assert not PNR.search(r.stdout + r.stderr), args
    avv = pl.read_csv(tmp_path / "out/2023-09/avvikelser.csv", separator=";", infer_schema=False)
    quoted = avv.filter(pl.col("kod").is_in(["ogiltig-tidpunkt", "ogiltigt-tal"]))
    assert quoted.height == 2 and quoted["meddelande"].str.contains("dold: ser ut som ett personnummer").all()
    assert not quoted["meddelande"].str.contains(r"\d{6}[-+]?\d{4}").any()


def test_a_stopping_error_hides_a_personnummer_too():
    from lovkorning.core.errors import Fel, Plats
    f = Fel("Utförare '19400811-0100' förekommer flera gånger.", Plats("utforare.csv", 3, "utforare_id"))
    assert "19400811" not in str(f) and "dold: ser ut som ett personnummer" in f.meddelande
    assert str(Fel("Beloppet 200012310123 …")).startswith("Beloppet (dold")
    assert "1230" not in str(Fel("'19400101 1230' är ingen giltig tidpunkt")) + str(Fel("Utförare '400101 1230'"))
