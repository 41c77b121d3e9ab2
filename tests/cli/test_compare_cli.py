"""`lovkorning compare` through its entry point: the README's worked comparison against two
`run --dry-run`s, every format, nothing written but --out, and bad input said in Swedish."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from zipfile import ZipFile

from support.cli import PNR, REPO, cli
from support.comparemonth import configs

UTF = REPO / "config/norrkoping-utford.yaml"
AMOUNT = re.compile(r"^(U\d+)\s.*?\s(-?\d{1,3}(?:[\u00a0 ]\d{3})*,\d\d)\s+(?:ja|nej)")


def dry_run(cfg: Path) -> dict[str, int]:
    """What `run --dry-run` prints each utförare is owed, in öre."""
    r = cli("run", "2023-09", "--dry-run", "--config", str(cfg), "--datum", "2023-10-09")
    assert r.returncode == 0, r.stderr
    found = {}
    for line in r.stdout.splitlines():
        m = AMOUNT.match(line)
        if m:
            found[m.group(1)] = int(re.sub(r"[^\d-]", "", m.group(2)))
    assert found, r.stdout
    return found


def test_the_readme_comparison_equals_two_dry_runs(tmp_path):
    """Norrköping's sample month under config/norrkoping.yaml and under norrkoping-utford.yaml:
    compare's figures are those of `run --dry-run` under each, to the öre. (State folders of the
    test's own, so that a ledger of `make demo` changes nothing.)"""
    a = tmp_path / "a.yaml"
    a.write_text(f"extends: {REPO / 'config/norrkoping.yaml'}\nstate: {{dir: {tmp_path / 'sa'}}}\n", encoding="utf-8")
    b = tmp_path / "b.yaml"
    b.write_text(f"extends: {UTF}\nstate: {{dir: {tmp_path / 'sb'}}}\ninputs: {{dir: \"{REPO}/sample_data/{{month}}\", "
                 f"utforare: {REPO}/sample_data/utforare.csv}}\n", encoding="utf-8")
    r = cli("compare", "2023-09", "--config", str(a), "--with", str(UTF), "--format", "json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert {x["utforare_id"]: x["a_ore"] for x in doc["rader"]} == dry_run(a)
    assert {x["utforare_id"]: x["b_ore"] for x in doc["rader"]} == dry_run(b)
    assert doc["a"]["total_ore"] == sum(dry_run(a).values()) and doc["b"]["config"] == str(UTF)
    assert all(x["diff_ore"] == x["b_ore"] - x["a_ore"] for x in doc["rader"])
    assert not (tmp_path / "sa").exists() and not (tmp_path / "sb").exists()


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_every_format_and_nothing_written_but_out(tmp_path):
    a, b = configs(tmp_path)
    before = tree(tmp_path)
    args = ("compare", "2023-09", "--config", str(a), "--with", str(b))
    table = cli(*args)
    assert table.returncode == 0, table.stderr
    assert re.search(r"U02\s+Väst AB\s+4\u00a0075,23\s+2\u00a0059,76\s+-2\u00a0015,47\s+-49,5", table.stdout), table.stdout
    assert "Flyttas mellan utförare: 452,00 kr" in table.stdout
    assert "Brukare: 1 får mer, 3 får mindre, 0 oförändrade" in table.stdout
    js = json.loads(cli(*args, "--format", "json").stdout)
    assert set(js) >= {"month", "a", "b", "rader"} and js["rader"][0]["utforare_id"] == "U01"
    by_insats = json.loads(cli(*args, "--format", "json", "--by", "insats").stdout)
    assert [x["insats"] for x in by_insats["rader"]] == ["RAM-tid", "(justeringar)"]
    raw = cli(*args, "--format", "csv").stdout
    assert raw.startswith("\ufeffutforare_id;namn;a_ore;b_ore;diff_ore;a_kr;b_kr;diff_kr;diff_procent")
    rows = list(csv.reader(io.StringIO(raw.lstrip("\ufeff")), delimiter=";"))
    assert rows[2] == ["U02", "Väst AB", "407523", "205976", "-201547", "4075,23", "2059,76", "-2015,47", "-49,5"]
    assert not PNR.search(table.stdout + table.stderr)
    assert tree(tmp_path) == before          # nothing written: no out/, no state/, no ledger
    out = tmp_path / "jämförelse.xlsx"
    assert cli(*args, "--format", "xlsx", "--out", str(out)).returncode == 0
    first = out.read_bytes()
    assert cli(*args, "--format", "xlsx", "--out", str(out)).returncode == 0
    assert out.read_bytes() == first         # the same comparison, the same bytes
    with ZipFile(out) as z:
        names = z.namelist()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert "xl/charts/chart1.xml" in names and "<c:barChart>" in z.read("xl/charts/chart1.xml").decode()
        assert "Jämförelse" in z.read("xl/workbook.xml").decode()
        assert 'paperSize="9"' in sheet and 'fitToPage="1"' in sheet
    assert set(tree(tmp_path)) == set(before) | {out.name}
    assert cli(*args, "--format", "csv", "--out", str(tmp_path / "j.csv")).returncode == 0
    assert (tmp_path / "j.csv").read_text(encoding="utf-8-sig").splitlines()[2].startswith("U02;Väst AB;407523")


def test_bad_input_is_said_in_swedish_without_a_traceback(tmp_path):
    a, b = configs(tmp_path)
    base = ("compare", "2023-09", "--config", str(a))
    cases = [
        ((*base, "--with", str(tmp_path / "finns-inte.yaml")), 1, "Konfigurationsfilen finns inte"),
        (("compare", "2023-09", "--config", str(tmp_path / "nej.yaml"), "--with", str(b)), 1, "Konfigurationsfilen finns inte"),
        ((*base,), 2, "--with saknas"),
        ((*base, "--with", str(b), "--by", "brukare"), 2, "'brukare' är inte utforare eller insats"),
        ((*base, "--with", str(b), "--format", "pdf"), 2, "'pdf' är inte table, json, csv eller xlsx"),
        ((*base, "--with", str(b), "--format", "xlsx"), 2, "ange --out"),
        ((*base, "--with", str(b), "--out", str(tmp_path / "x.txt")), 2, "--out"),
        (("compare", "2023-12", "--config", str(a), "--with", str(b)), 1, "Inga indata för 2023-12"),
    ]
    schablon = tmp_path / "schablon.yaml"
    schablon.write_text(b.read_text(encoding="utf-8") + "  - {name: Schablon, basis: schablon, rate: timpris, "
                        "schablon: {RAM-tid: 30}}\n", encoding="utf-8")
    cases.append(((*base, "--with", str(schablon)), 1, "Kolumnen 'antal' i bestallningar behövs av B:s regel 'Schablon'"))
    for args, code, text in cases:
        r = cli(*args)
        assert r.returncode == code and text in r.stderr, (args, r.returncode, r.stderr)
        assert "Traceback" not in r.stderr and not PNR.search(r.stderr)
    assert not (tmp_path / "x.txt").exists()


def test_the_readme_shows_the_table_compare_prints():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = "$ lovkorning compare 2023-09 --config config/norrkoping.yaml --with config/norrkoping-utford.yaml\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0]
    r = cli(*command.split()[2:], cwd=REPO)
    assert r.returncode == 0, r.stderr
    printed = "".join(line.rstrip() + "\n" for line in r.stdout.replace("\u00a0", " ").splitlines())
    assert printed == shown
