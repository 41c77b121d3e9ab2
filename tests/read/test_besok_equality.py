"""The same month as tag events or as visit rows (`besok`, contract §1) settles to the same öre, with
the same avvikelser per code: the committed sample month, a held-out month the generator makes
with a seed no other test uses (March 2024: a daylight-saving night), that month as a time
system's Excel report read through `inputs.format`, and every worked example in tests/cases.

The tag logs are turned into visit rows by tests/support/besokconv.py, which pairs the events as
the contract does, apart from the product's code."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from ruamel.yaml import YAML

from conftest import BASE_CONFIG, build
from lovkorning.core.period import Period
from lovkorning.settle.month import Settled
from support.besokconv import XLSX_CONFIG, as_time_system_xlsx, convert, convert_rows
from support.cli import REPO, cli
from support.samemonth import assert_same_month, counts, settle


def with_inputs(cfg: Path, extra: str) -> None:
    """Add keys to the config's `inputs` section (after its `utforare:` line)."""
    lines = cfg.read_text(encoding="utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith("  utforare:"))
    cfg.write_text("".join(lines[: at + 1]) + extra + "".join(lines[at + 1:]), encoding="utf-8")


def test_the_sample_month_as_visit_rows_settles_to_the_same_ore(tmp_path):
    for folder in ("config", "sample_data"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("norrtalje", "osteraker*"))
    cfg = shutil.copy(REPO / "lovkorning.yaml", tmp_path / "lovkorning.yaml")
    sept = Period(2023, 9)
    events = settle(cfg, sept)
    besok = convert(cfg, "2023-09", tmp_path / "sample_data/2023-09/taggningar.csv")
    visits = settle(cfg, sept)
    assert_same_month(events, visits)
    assert sum(visits.avr.totals.values()) == 486_914_811
    assert {s.name for s in visits.indata.sources} == {"utforare", "bestallningar", "uppehall", "besok",
                                                       "genomforandeplaner"}
    # every finding on a visit names the visit file's row
    found = visits.avr.avvikelser.filter(pl.col("fil") == besok.name)
    assert found.height == events.avr.avvikelser.filter(pl.col("fil") == "taggningar.csv").height > 100
    assert found["rad"].max() <= len(besok.read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> tuple[Path, Settled]:
    """March 2024 from a seed no other test uses, settled from its tag log."""
    root = tmp_path_factory.mktemp("held_out")
    done = cli("generate", "2024-03", "--size", "150", "--seed", "11", "--dir", str(root))
    assert done.returncode == 0, done.stderr
    return root, settle(root / "lovkorning.yaml", Period(2024, 3))


def test_a_held_out_month_as_visit_rows_settles_to_the_same_ore(held_out, tmp_path):
    root, events = held_out
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    convert(tmp_path / "lovkorning.yaml", "2024-03", tmp_path / "data/2024-03/taggningar.csv")
    assert_same_month(events, settle(tmp_path / "lovkorning.yaml", Period(2024, 3)))
    assert counts(events)["tvetydig-tidpunkt"] == 1        # the spring night's missing hour, planted


def test_a_held_out_month_as_a_time_systems_excel_report_settles_to_the_same_ore(held_out, tmp_path):
    root, events = held_out
    shutil.copytree(root, tmp_path, dirs_exist_ok=True)
    cfg, month = tmp_path / "lovkorning.yaml", tmp_path / "data/2024-03"
    rows = convert_rows(cfg, "2024-03", month / "taggningar.csv")
    (month / "taggningar.csv").unlink()
    as_time_system_xlsx(rows, month / "Besöksrapport.xlsx", 2024)
    with_inputs(cfg, XLSX_CONFIG.replace("{dir}", "data/{month}"))
    visits = settle(cfg, Period(2024, 3))
    assert_same_month(events, visits)
    assert visits.avr.avvikelser.filter(pl.col("fil") == "Besöksrapport.xlsx")["rad"].min() >= 4   # below the header


def worked_cases() -> list:
    cases = []
    for path in sorted((REPO / "tests/cases").glob("*.yaml")):
        for case in YAML(typ="safe").load(path.read_text(encoding="utf-8")):
            if case.get("taggningar"):
                cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


@pytest.mark.parametrize("case", worked_cases())
def test_every_worked_example_settles_the_same_from_visit_rows(case, tmp_path):
    period = Period.parse(str(case.get("month", "2023-09")))
    cfg = build(case).write(tmp_path)
    cfg.write_text(BASE_CONFIG + case["config"], encoding="utf-8")
    events = settle(cfg, period)
    convert(cfg, period.label, tmp_path / "data" / period.label / "taggningar.csv")
    assert_same_month(events, settle(cfg, period))
