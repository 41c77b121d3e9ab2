"""Worked examples as YAML (tests/cases/*.yaml), collected by pytest.

Each case is a small month a domain person can read and check by hand: the model's rules, the
orders and visits, and the öre expected. See tests/cases/README.md for the format.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from hypothesis import settings
from ruamel.yaml import YAML

from support.monthbuilder import BG_1, BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D, Month
from support.explaincheck import check_case

# Property tests run on small, shared, noisy machines: no per-example deadline (a slow example under
# load is not a failure), and the same examples every run.
settings.register_profile("lovkorning", deadline=None, derandomize=True)
settings.load_profile("lovkorning")

ALIASES = {"A": BRUKARE_A, "B": BRUKARE_B, "C": BRUKARE_C, "D": BRUKARE_D}
BANKGIROS = [BG_1, BG_2, "5050-1055"]
BASE_CONFIG = """\
version: 1
kommun: {namn: Testkommun, bankgiro: "991-2346"}
inputs: {dir: "data/{month}", utforare: data/utforare.csv}
output: {dir: "out/{month}"}
state: {dir: state}
"""


def pytest_collect_file(parent, file_path: Path):
    if file_path.suffix == ".yaml" and file_path.parent.name == "cases":
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        cases = YAML(typ="safe").load(self.path.read_text(encoding="utf-8"))
        for case in cases:
            yield CaseItem.from_parent(self, name=case["name"], case=case)


class CaseItem(pytest.Item):
    def __init__(self, *, case: dict, **kw):
        super().__init__(**kw)
        self.case = case

    def runtest(self):
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            check(self.case, run_case(self.case, Path(tmp)))

    def reportinfo(self):
        return self.path, 0, f"{self.name} ({self.case.get('source', '')})"


def build(case: dict) -> Month:
    m = Month(month=str(case.get("month", "2023-09")))
    for i, u in enumerate(case.get("utforare", [{"id": "U01", "namn": "Omsorg Öst AB"}])):
        m.utforare(u["id"], u.get("namn", u["id"]), u.get("regi", "privat"), u.get("bankgiro", BANKGIROS[i % 3]),
                   u.get("flaggor", ""))
    for i, o in enumerate(case.get("bestallningar", [])):
        m.order(o.get("id", f"B{i + 1}"), ALIASES.get(o["brukare"], o["brukare"]), o.get("utforare", "U01"), o["insats"],
                str(o["minuter"]).replace(".", ","), o.get("per", "manad"), str(o.get("fran", "2023-08-01")),
                str(o.get("till", "")), None if "verkstalld" not in o else str(o["verkstalld"] or ""),
                o.get("zon", "tätort"), str(o.get("antal", "")), o.get("dubbelbemanning", "nej"))
    for i, t in enumerate(case.get("taggningar", [])):
        add_event(m, t, i)
    for p in case.get("uppehall", []):
        m.pause(ALIASES.get(p["brukare"], p["brukare"]), str(p["fran"]), str(p.get("till", "")), p.get("orsak", "sjukhus"),
                p.get("utforare", ""))
    for p in case.get("genomforandeplaner", []):
        m.plan(ALIASES.get(p["brukare"], p["brukare"]), p.get("utforare", "U01"), str(p["godkand"]))
    for o in case.get("overtid", []):
        m.rows["overtid"].append(dict(brukare_id=ALIASES.get(o["brukare"], o["brukare"]), utforare_id=o.get("utforare", "U01"),
                                      minuter=str(o["minuter"])))
    return m


def add_event(m: Month, t: dict, i: int) -> None:
    b, u = ALIASES.get(t.get("brukare", "A"), t.get("brukare", "A")), t.get("utforare", "U01")
    staff, roll = t.get("personal", f"P{i + 1}"), t.get("roll", "usk")
    if "avbojt" in t:
        m.event(b, u, staff, t["avbojt"], "avbojt", insatser=t.get("insatser", ""), roll=roll)
        return
    if "in" in t and "ut" in t:
        secs = int((datetime.fromisoformat(t["ut"]) - datetime.fromisoformat(t["in"])).total_seconds())
        m.visit(b, u, staff, t["in"] if len(t["in"]) > 16 else t["in"] + ":00", secs, t.get("insatser", ""),
                t.get("metod_in", "tagg"), t.get("metod_ut", "tagg"), t.get("korrigerad", "nej"), roll)
        return
    m.event(b, u, staff, t["tidpunkt"], t["typ"], t.get("metod", "tagg"), t.get("insatser", ""), roll,
            t.get("korrigerad", "nej"))


def run_case(case: dict, tmp: Path):
    from lovkorning.config.loaded import load
    from lovkorning.core.period import Period
    from lovkorning.settle.month import settle_month
    cfg_path = build(case).write(tmp)
    cfg_path.write_text(BASE_CONFIG + case["config"], encoding="utf-8")
    cfg = load(cfg_path)
    settled = settle_month(cfg, Period.parse(str(case.get("month", "2023-09"))), date(2023, 10, 9))
    # every worked example is also explained: its invariants hold on any month (explaincheck.py)
    check_case(case.get("expect", {}).get("explain", {}), cfg, settled)
    return settled.avr


def check(case: dict, avr) -> None:
    exp = case.get("expect", {})
    if "totals" in exp:
        got = {k: v for k, v in avr.totals.items() if k in exp["totals"]}
        assert got == exp["totals"], f"totals: {got} != {exp['totals']}"
    for want in exp.get("lines", []):
        rows = avr.rader.to_dicts()
        hit = [r for r in rows if all(r.get(k) == v for k, v in want.items())]
        assert len(hit) == 1, f"line {want} matched {len(hit)} of {[{k: r[k] for k in want} for r in rows]}"
    if "lines_count" in exp:
        assert avr.rader.height == exp["lines_count"], avr.rader
    for want in exp.get("justeringar", []):
        rows = avr.justeringar.to_dicts()
        assert any(all(r.get(k) == v for k, v in want.items()) for r in rows), f"justering {want} not in {rows}"
    if "avvikelser" in exp:
        counts = dict(avr.avvikelser.group_by("kod").len().iter_rows()) if avr.avvikelser.height else {}
        got = {k: counts.get(k, 0) for k in exp["avvikelser"]}
        assert got == exp["avvikelser"], f"avvikelser: {got} != {exp['avvikelser']}"
    for kod, texts in exp.get("meddelanden", {}).items():
        got = avr.avvikelser.filter(pl.col("kod") == kod)["meddelande"].to_list() if avr.avvikelser.height else []
        assert sorted(got) == sorted(texts), f"meddelanden {kod}: {got} != {texts}"
    if "tid" in exp:
        for want in exp["tid"]:
            rows = avr.tid.to_dicts()
            assert any(all(r.get(k) == v for k, v in want.items()) for r in rows), f"tid {want} not in {rows}"
