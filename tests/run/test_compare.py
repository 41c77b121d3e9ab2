"""`compare` (issue 16, contract §5) on a month small enough to check by hand, and on every sample
model against the settlement `run --dry-run` makes (runner.preview), to the öre.

The hand-computed month: Norrköping's model (A: RAM-tid on beviljad tid) against B, RAM-tid on
utförd tid capped per order, at 452,00 kr/h = 45 200 öre/h = 113/9 öre per second.

U01 Omsorg Öst AB
  brukare A: RAM-tid 600 min/månad (10 h); four visits of 3 h = 12 h; overtid 60 min.
    A: 10 h = 452 000.  B: utförd 12 h, capped at 10 h + 1 h overtid = 11 h = 497 200 (the cap binds).
U02 Väst AB, flagged saknar_heltid (2 % deduction)
  brukare B: RAM-tid 300 min/månad (5 h); two visits of 1 h, and a third whose check-out has an
    impossible date: that row is rejected, the check-in is left alone and counts nothing.
    A: 5 h = 226 000.  B: 2 h = 90 400.
  brukare C: RAM-tid 240 min/månad from 2023-09-16: 240 × 15/30 = 120 min = 2 h. One visit of 1 h
    on 2023-09-10, before the order (outside its days: B pays nothing for it), one of 1 h on the 20th.
    A: 2 h = 90 400.  B: 1 h = 45 200.
  brukare D, landsbygd (+10 %): RAM-tid 120 min/månad (2 h); three visits of 30 min.
    A: 90 400 + 9 040 = 99 440.  B: 1,5 h = 67 800 + 6 780 = 74 580.
  A: lines 226 000 + 90 400 + 99 440 = 415 840; deduction 2 % = 8 316,8 → −8 317; total 407 523.
  B: lines 90 400 + 45 200 + 74 580 = 210 180; deduction 2 % = 4 203,6 → −4 204; total 205 976.
Totals: A 859 523, B 703 176, difference −156 347 (−18,2 %). U01 gains 45 200, U02 loses 201 547:
45 200 moves between utförare. Brukare: A gets more, B, C and D less.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from lovkorning.config.loaded import load
from lovkorning.core.errors import InputError
from lovkorning.core.period import Period
from lovkorning.run.compare import ADJUSTMENTS, compare
from lovkorning.run.runner import preview
from support.comparemonth import configs, hand_month
from support.monthbuilder import BRUKARE_B

REPO = Path(__file__).resolve().parents[2]
SEPT = Period(2023, 9)
RUN_DAY = date(2023, 10, 9)

def test_the_hand_computed_month(tmp_path):
    a, b = configs(tmp_path)
    cmp = compare(load(a), load(b), SEPT, RUN_DAY)
    assert [(r.key, r.namn, r.a_ore, r.b_ore, r.diff_ore) for r in cmp.utforare] == [
        ("U01", "Omsorg Öst AB", 452_000, 497_200, 45_200), ("U02", "Väst AB", 407_523, 205_976, -201_547)]
    assert (cmp.a_total, cmp.b_total) == (859_523, 703_176)
    assert cmp.moved() == (45_200, 201_547, 45_200)
    assert cmp.brukare == (1, 3, 0)
    # per insats: RAM-tid's lines with their landsbygd supplement, the deduction in a row of its own
    assert [(r.key, r.a_ore, r.b_ore) for r in cmp.insats] == [
        ("RAM-tid", 867_840, 707_380), (ADJUSTMENTS, -8_317, -4_204)]
    doc = cmp.doc("utforare", "a.yaml", "b.yaml")
    assert doc["a"] == {"config": "a.yaml", "total_ore": 859_523} and doc["b"] == {"config": "b.yaml", "total_ore": 703_176}
    assert (doc["diff_ore"], doc["diff_procent"], doc["flyttat_ore"]) == (-156_347, -18.2, 45_200)
    assert doc["rader"][1] == {"utforare_id": "U02", "namn": "Väst AB", "a_ore": 407_523, "b_ore": 205_976,
                               "diff_ore": -201_547, "diff_procent": -49.5}
    assert doc["brukare"] == {"okar": 1, "minskar": 3, "oforandrade": 0}
    ins = cmp.doc("insats", "a.yaml", "b.yaml")
    assert [set(r) for r in ins["rader"]] == [{"insats", "a_ore", "b_ore", "diff_ore", "diff_procent"}] * 2
    assert "brukare" not in ins and sum(r["b_ore"] for r in ins["rader"]) == ins["b"]["total_ore"]


def test_the_same_config_twice_changes_nothing(tmp_path):
    a, _ = configs(tmp_path)
    cmp = compare(load(a), load(a), SEPT, RUN_DAY)
    assert all(r.diff_ore == 0 for r in cmp.utforare + cmp.insats) and cmp.moved() == (0, 0, 0)
    assert cmp.brukare == (0, 0, 4) and cmp.a_total == 859_523


def dry_run_totals(cfg_path: Path, rattelse: bool = False) -> dict[str, int]:
    """What `run --dry-run` shows each utförare is owed (runner.preview, which it calls); for a
    paid month whose inputs changed, `run --dry-run --rattelse`: the month as settled now."""
    return preview(load(cfg_path), SEPT, RUN_DAY, rattelse=rattelse).settled.avr.totals


def b_with_inputs_of(tmp_path: Path, a: Path, b: Path, name: str = "b-dry.yaml") -> Path:
    """B as a config file of its own reading A's inputs and A's ledger (for the carry), so that a
    `run --dry-run` of it settles what compare settles under B."""
    la = load(a)
    path = tmp_path / name
    path.write_text(f"extends: {b.resolve()}\ninputs: {json.dumps(la.cfg.inputs.model_dump(exclude_none=True))}\n"
                    f"state: {{dir: {la.state_dir()}}}\n", encoding="utf-8")
    return path


def assert_equals_dry_runs(tmp_path: Path, a: Path, b: Path, rattelse: bool = False):
    cmp = compare(load(a), load(b), SEPT, RUN_DAY, preview_carry(a))
    assert {r.key: r.a_ore for r in cmp.utforare} == dry_run_totals(a, rattelse)
    assert {r.key: r.b_ore for r in cmp.utforare} == dry_run_totals(b_with_inputs_of(tmp_path, a, b), rattelse)
    return cmp


def preview_carry(a: Path):
    from lovkorning.run.carry import read_carry
    return read_carry(load(a), SEPT)[0]


def test_compare_equals_two_dry_runs_on_the_hand_month(tmp_path):
    a, b = configs(tmp_path)
    assert_equals_dry_runs(tmp_path, a, b)


def test_a_correction_month_compares_the_inputs_as_they_are_now(tmp_path):
    """2023-09 paid under A; then a visit is added to the export. Compare settles the month's
    inputs as they are now, as `run --dry-run` does for the correction it would pay, and leaves
    the ledger and the outputs as they were."""
    from lovkorning.run.runner import execute
    a, b = configs(tmp_path)
    execute(load(a), SEPT, RUN_DAY)
    before = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file() and "data" not in p.parts}
    m = hand_month()
    m.visit(BRUKARE_B, "U02", "P2", "2023-09-08 09:00:00", 3600, "RAM-tid")   # B: 3 h utförd now
    m.write(tmp_path)
    assert preview(load(a), SEPT, RUN_DAY, rattelse=True).kind == "RÄTTELSE"
    cmp = assert_equals_dry_runs(tmp_path, a, b, rattelse=True)
    # B now: brukare B 3 h = 135 600; lines 135 600 + 45 200 + 74 580 = 255 380; 2 % = 5 107,6 → 5 108
    assert {r.key: r.b_ore for r in cmp.utforare}["U02"] == 250_272
    after = {p: p.read_bytes() for p in sorted(tmp_path.rglob("*")) if p.is_file() and "data" not in p.parts
             and p.name != "b-dry.yaml"}
    assert after == before


# ---------------------------------------------------------------- what B needs that A's inputs lack

def refusal(a: Path, b: Path) -> str:
    with pytest.raises(InputError) as exc:
        compare(load(a), load(b), SEPT, RUN_DAY)
    assert exc.value.exit_code == 1
    return "\n".join(str(f) for f in exc.value.fel)


def test_an_insats_b_pays_that_a_neither_has_nor_knows_is_named(tmp_path):
    a, b = configs(tmp_path)
    b.write_text(b.read_text(encoding="utf-8").replace("insatser: [RAM-tid]", "insatser: [RAM-tid, Omsorg]"),
                 encoding="utf-8")
    text = refusal(a, b)
    assert "B behöver data som A:s indata för 2023-09 saknar" in text and "'Omsorg'" in text and "'RAM-tid'" not in text


def test_an_insats_a_knows_but_the_month_lacks_is_no_refusal(tmp_path):
    """Vak is named by A's rules and B's, and occurs in no order or visit of the month: B pays it
    nothing, as A does."""
    a, b = configs(tmp_path)
    assert compare(load(a), load(b), SEPT, RUN_DAY).b_total == 703_176


def test_a_rate_without_a_value_for_a_zon_of_a_is_named(tmp_path):
    a, b = configs(tmp_path)
    b.write_text(b.read_text(encoding="utf-8") + "rates:\n  timpris: {by: [zon], values: {tätort: {2023-01-01: 452.00}}}\n",
                 encoding="utf-8")
    text = refusal(a, b)
    assert "B behöver data" in text and "zon=landsbygd" in text and "b.yaml" in text


def test_antal_roll_and_files_b_needs_are_named(tmp_path):
    m = hand_month()
    m.rows["overtid"].clear()
    for row in m.rows["taggningar"]:
        row["roll"] = ""
    a, b = configs(tmp_path, m)
    b.write_text(b.read_text(encoding="utf-8") + """\
  - {name: Schablon, basis: schablon, rate: timpris, schablon: {RAM-tid: 30}}
  - {name: Sjuksköterska, insatser: [RAM-tid], roller: [sjukskoterska], basis: besok, rate: timpris}
""", encoding="utf-8")
    a.write_text(a.read_text(encoding="utf-8").replace(", cap: order,", ", cap: none,"), encoding="utf-8")
    text = refusal(a, b)
    assert "Kolumnen 'antal' i bestallningar behövs av B:s regel 'Schablon'" in text
    assert "Kolumnen 'roll' i taggningar behövs av B:s regel 'Sjuksköterska'" in text
    assert "Indatafilen 'overtid' behövs av B:s regel 'Ramtid på utförd tid'" in text
    assert "brukare_id;utforare_id;minuter" in text


# ---------------------------------------------------------------- the sample models

SAMPLES = ("norrkoping", "norrtalje", "osteraker", "osteraker-insats")
# A variant of each sample model, for B: the month's data allows it (same insatser, columns, files)
VARIANTS = {
    "norrkoping": None,          # config/norrkoping-utford.yaml, the README's worked comparison
    "norrtalje": """
rules:   # service at the omsorg rate, as before the split (seed 003); HSL at most 17 % of omsorg (survey)
  - {name: Omsorg, insatser: [Dusch, Morgonhjälp, Kvällshjälp, Förflyttning, Toalettbesök, Måltidsstöd, Tillsyn], basis: beviljad, rate: omsorg}
  - {name: Service, insatser: [Städning, Tvätt, Inköp, Ärenden], basis: beviljad, rate: omsorg}
  - {name: Delegerad HSL, insatser: [Ögondroppar, Läkemedel, Omläggning, Stödstrumpor], basis: utford, cap: none, rate: omsorg, max_andel: {percent: 17, av: [Dusch, Morgonhjälp, Kvällshjälp, Förflyttning, Toalettbesök, Måltidsstöd, Tillsyn]}}
  - {name: Larm, insatser: [Larmutryckning], basis: utford, cap: none, rate: omsorg}
  - {name: Listning hemsjukvård, insatser: [Hemsjukvård], basis: manad, rate: listning}
  - {name: Hembesök legitimerad personal, insatser: [Hembesök HSL, Hembesök rehab], roller: [sjukskoterska, distriktsskoterska, fysioterapeut, arbetsterapeut], basis: besok, rate: hembesok}
""",
    "osteraker": """
rules:   # the cap per order instead of per brukare, and the survey's deduction below 80 % utförd
  - {name: Utförd tid upp till beviljad, insatser: [Personlig omvårdnad, Dusch, Städning, Tvätt, Inköp, Måltid, Tillsyn, Ledsagning], basis: utford, cap: order, rate: timpris}
deductions:
  - {name: Avdrag under 80 % utförd, min_andel_utford: 80, percent: 5}
""",
    "osteraker-insats": """
momskompensation: {percent: 0}
rules:   # shorter schablon for Dusch and Städning, no momskompensation
  - {name: Insats enligt schablon, basis: schablon, rate: timpris, schablon: {Personlig omvårdnad: 30, Dusch: 30, Städning: 60, Tvätt: 60, Inköp: 60, Måltid: 20, Tillsyn: 10, Ledsagning: 60}}
  - {name: Uppstartsersättning, basis: start, rate: uppstart}
  - {name: Besöksersättning, basis: besok, rate: besok}
""",
}


def sample(tmp_path: Path, name: str, extra: str = "", file: str | None = None) -> Path:
    """The shipped config (or `extra` on top of it), with state and output of the test's own."""
    path = tmp_path / (file or f"{name}.yaml")
    path.write_text(f"extends: {REPO / 'config' / (name + '.yaml')}\nstate: {{dir: {tmp_path / ('state-' + path.stem)}}}\n"
                    f"output: {{dir: \"{tmp_path / ('out-' + path.stem)}/{{month}}\"}}\n" + extra, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", SAMPLES)
def test_compare_equals_two_dry_runs_on_every_sample_model(tmp_path, name):
    a = sample(tmp_path, name)
    b = (REPO / "config/norrkoping-utford.yaml") if VARIANTS[name] is None else sample(tmp_path, name, VARIANTS[name], "b.yaml")
    cmp = assert_equals_dry_runs(tmp_path, a, b)
    assert cmp.a_total != cmp.b_total
    assert sum(r.b_ore for r in cmp.insats) == cmp.b_total and sum(r.a_ore for r in cmp.insats) == cmp.a_total


REFUSED = {   # what the sample month of A lacks for B's model
    ("norrkoping", "norrtalje"): ["Insatserna 'Dusch'"],
    ("norrkoping", "osteraker"): ["'Personlig omvårdnad'"],
    ("norrkoping", "osteraker-insats"): ["'Personlig omvårdnad'", "'antal'"],
    ("norrtalje", "norrkoping"): ["'RAM-tid'", "'overtid'", "'genomforandeplaner'"],
    ("norrtalje", "osteraker"): ["'Personlig omvårdnad'", "'overtid'"],
    ("norrtalje", "osteraker-insats"): ["'Personlig omvårdnad'", "'antal'"],
    ("osteraker", "norrkoping"): ["'RAM-tid'", "'genomforandeplaner'"],
    ("osteraker", "norrtalje"): ["'Hemsjukvård'"],
    ("osteraker", "osteraker-insats"): ["'antal'"],
    ("osteraker-insats", "norrkoping"): ["'RAM-tid'", "'overtid'", "'genomforandeplaner'"],
    ("osteraker-insats", "norrtalje"): ["'Hemsjukvård'"],
    ("osteraker-insats", "osteraker"): ["'overtid'"],
}


@pytest.mark.parametrize("pair", sorted(REFUSED), ids="→".join)
def test_between_the_sample_models_the_data_does_not_allow(tmp_path, pair):
    text = refusal(sample(tmp_path, pair[0]), REPO / "config" / f"{pair[1]}.yaml")
    assert all(word in text for word in REFUSED[pair]), text


def test_osteraker_insats_month_under_the_current_model_once_overtid_is_given(tmp_path):
    """The per-insats month lacks the overtid file the current model reads; with an empty one (no
    excess approved) the comparison is made, and equals the two dry runs."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "sample_data/osteraker-insats", data)
    (data / "2023-09/overtid.csv").write_text("brukare_id;utforare_id;minuter\n", encoding="utf-8")
    a = sample(tmp_path, "osteraker-insats", f"inputs: {{dir: \"{data}/{{month}}\", utforare: {data / 'utforare.csv'}}}\n")
    cmp = assert_equals_dry_runs(tmp_path, a, REPO / "config/osteraker.yaml")
    assert cmp.b_total < cmp.a_total
