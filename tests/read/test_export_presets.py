"""The mapping presets of config/exports/ (issue 17): each preset's sample, a month's visits in a
time system's published export layout, read through the preset settles to the same öre, with the
same avvikelser per code and the same visits, as the same visits in the contract's shape.

Sandata's altEVV visit layout (config/exports/sandata-altevv.yaml): the contract's side is the
committed sample month (its tag log turned into visit rows by tests/support/besokconv.py) cut to
the visits of the sample (tests/support/altevv.py); the preset's side is the committed file
sample_data/exports/sandata-altevv/2023-09/visits.csv, read through the preset's `inputs` copied
into the config as a municipality would."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import polars as pl
import pytest
from ruamel.yaml import YAML

from lovkorning.core.period import Period
from lovkorning.settle.month import Settled
from support.altevv import COLUMNS, SAMPLE, altevv_row, sample_rows
from support.besokconv import BESOK, convert_rows
from support.cli import REPO
from support.samemonth import assert_same_month, counts, settle

SEPT = Period(2023, 9)
PRESET = REPO / "config/exports/sandata-altevv.yaml"
U05_ORE = 5_205_388                 # the sample utförare on utförd tid: paid on these visits


def month(tmp_path: Path) -> list[dict]:
    """The sample month copied, its tag log set aside; the sample's visits in the contract's shape."""
    for folder in ("config", "sample_data"):
        shutil.copytree(REPO / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("norrtalje", "osteraker*", "exports"))
    cfg = shutil.copy(REPO / "lovkorning.yaml", tmp_path / "lovkorning.yaml")
    tagg = tmp_path / "sample_data/2023-09/taggningar.csv"
    rows = sample_rows(convert_rows(cfg, "2023-09", tagg))
    tagg.rename(tagg.with_name("taggningar.csv.orig"))
    return rows


def config(root: Path, name: str, inputs: dict) -> Path:
    """Norrköping's month on utförd tid (RAM-tid paid on the visits), with these `inputs` beside the
    month's folder."""
    out = root / name
    with out.open("w", encoding="utf-8") as f:
        YAML(typ="safe").dump({"version": 1, "extends": "config/norrkoping-utford.yaml",
                               "inputs": {"dir": "sample_data/{month}", "utforare": "sample_data/utforare.csv",
                                          **inputs},
                               "output": {"dir": f"out/{name}/{{month}}"}, "state": {"dir": f"state/{name}"}}, f)
    return out


def contract_shape(root: Path, rows: list[dict]) -> Path:
    besok = root / "sample_data/2023-09/besok.csv"
    with besok.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, BESOK, delimiter=";", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return config(root, "contract.yaml", {"besok": str(besok)})


def preset_shape(root: Path, preset: dict) -> Path:
    """The preset's `inputs` copied into a config, as a municipality would, naming the export."""
    return config(root, "preset.yaml", {"besok": str(SAMPLE), **preset})


def preset_inputs() -> dict:
    data = YAML(typ="safe").load(PRESET.read_text(encoding="utf-8"))
    assert set(data) == {"inputs"} and "dir" not in data["inputs"]      # a section to copy, nothing else
    return data["inputs"]


def both(tmp_path: Path, preset: dict) -> tuple[Settled, Settled]:
    rows = month(tmp_path)
    return settle(contract_shape(tmp_path, rows), SEPT), settle(preset_shape(tmp_path, preset), SEPT)


def test_the_committed_sample_is_the_sample_months_visits_in_the_altevv_layout(tmp_path):
    rows = month(tmp_path)
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        committed = list(csv.DictReader(f))
    assert list(committed[0]) == COLUMNS
    assert committed == [altevv_row(n, r) for n, r in enumerate(rows, start=1)]
    assert len(rows) > 200 and {r["ProviderID"] for r in committed} == {"U05"}
    kinds = {(r["Time In CallType"], r["Time Out CallType"]) for r in committed}
    assert {"Mobile", "Telephony", "FVV", "Manual", ""} <= {k for pair in kinds for k in pair}


def test_the_altevv_sample_settles_to_the_same_ore_as_the_contracts_shape(tmp_path):
    contract, preset = both(tmp_path, preset_inputs())
    assert_same_month(contract, preset)
    assert preset.avr.totals["U05"] == contract.avr.totals["U05"] == U05_ORE
    assert preset.visits.besok.height == contract.visits.besok.height > 200
    assert {"ut-fore-in", "dubbel-handelse"} <= set(counts(preset))     # the visits missing an end
    found = preset.avr.avvikelser.filter(pl.col("fil") == SAMPLE.name)   # findings name the export's rows
    assert found.height == contract.avr.avvikelser.filter(pl.col("fil") == "besok.csv").height > 0


@pytest.mark.parametrize("mapping, money", [
    pytest.param({"columns": {"start": "Time Out CallDateTime", "slut": "Time In CallDateTime"}}, True,
                 id="check-in and check-out swapped"),
    pytest.param({"values": {"Manual": "tagg"}}, False, id="manual calls read as tag registrations"),
])
def test_the_comparison_tells_a_wrong_mapping(tmp_path, mapping, money):
    """The equality above can fail: a preset that reads the export wrongly settles another month."""
    preset = preset_inputs()
    for key, change in mapping.items():
        for column, value in change.items():
            if key == "columns":
                preset["columns"]["besok"][column] = value
            else:
                for c in ("metod_start", "metod_slut"):
                    preset["values"]["besok"][c][column] = value
    contract, read = both(tmp_path, preset)
    with pytest.raises(AssertionError):
        assert_same_month(contract, read)
    assert (read.avr.totals["U05"] != contract.avr.totals["U05"]) is money
