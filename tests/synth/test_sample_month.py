"""The committed sample month (sample_data/2023-09, made by lovkorning.generate): the run finds
exactly the avvikelser the generator planted, and accounts for every tag event."""

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lovkorning.core import avvikelser as av
from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import settle_month

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def settled():
    return settle_month(load(REPO / "lovkorning.yaml"), Period(2023, 9), date(2023, 10, 9))


def test_findings_are_exactly_the_planted_ones(settled):
    facit = json.loads((REPO / "sample_data/2023-09/facit.json").read_text(encoding="utf-8"))
    assert av.counts_by_code(settled.avr.avvikelser) == facit["avvikelser"]


def test_every_tag_event_is_in_a_visit_or_a_finding(settled):
    events = settled.indata.sources
    n_rows = next(s.rows for s in events if s.name == "taggningar")
    v = settled.visits.besok
    in_visits = set(v["in_rad"].to_list()) | set(v["ut_rad"].to_list())
    f = settled.avr.avvikelser.filter(pl.col("fil") == "taggningar.csv")
    by_row = set(f.filter(~pl.col("kod").is_in(["insats-ej-i-bestallning", "insats-utan-regel", "insats-ej-i-lov",
                                                   "besok-under-uppehall", "besok-utan-bestallning", "kort-besok",
                                                   "langt-besok", "saknar-tagg", "besok-utan-insats"]))["rad"].to_list())
    accounted = in_visits | by_row
    assert accounted == set(range(2, n_rows + 2))
    assert not (set(v.filter(~pl.col("utanfor"))["in_rad"].to_list()) & by_row)


def test_every_order_line_is_paid_or_explained(settled):
    orders = settled.indata.bestallningar
    paid = set(settled.avr.rader["bestallning_id"].drop_nulls().to_list())
    f = settled.avr.avvikelser.filter(pl.col("fil") == "bestallningar.csv")
    explained = set(orders.join(f.select(pl.col("rad").alias("_rad")), on="_rad", how="semi")["bestallning_id"].to_list())
    zero_time = set(orders.filter(pl.col("minuter_milli") == 0)["bestallning_id"].to_list())
    unpaid_utford = set(orders.filter(pl.col("insats").is_in(["Avlösning", "Ledsagning", "Egenvård", "Vak"]))["bestallning_id"].to_list())
    assert set(orders["bestallning_id"].to_list()) <= paid | explained | zero_time | unpaid_utford


def test_the_sample_has_what_the_issue_asks_for(settled):
    u = settled.avr.utforare
    assert u.height >= 5 and u.filter(pl.col("regi") == "egen").height == 1
    insatser = set(settled.indata.bestallningar["insats"].to_list()) | set(
        settled.visits.besok_insats["insats"].to_list())
    seed000 = ["Morgonhjälp", "Bad/dusch", "Förmiddagshjälp", "Lunchhjälp", "Eftermiddagshjälp", "Kvällshjälp 1",
               "Kvällshjälp 2", "Städning", "Tvätt", "Promenad", "Telefonservice", "Inköp", "Inköp sammanboende",
               "Inköp service", "Internethandel", "Social tid, träning", "Ärenden", "Övrigt", "Avlösning", "Egenvård",
               "Ledsagning", "Matdistribution", "Natthjälp", "Tillsyn (digital)", "Vak", "RAM-tid"]
    assert set(seed000) <= insatser
    assert settled.avr.rader.filter(pl.col("tillagg_ore") > 0).height > 0          # landsbygd
    assert settled.avr.justeringar.filter(pl.col("typ") == "avdrag").height == 1    # saknar_heltid
    assert settled.avr.rader.filter(pl.col("regel") == "Genomförandeplan").height > 0
    assert settled.avr.tid["uppehall_sek"].sum() > 0


def test_diff_over_three_sample_months_finds_exactly_the_planted_flags(tmp_path):
    """Issue 4: the follow-up flags over 2023-07…09 are the cases the generator planted, no more."""
    from lovkorning.run import followup, history
    cfg_path = tmp_path / "lovkorning.yaml"   # the root config, with a fresh state folder
    cfg_path.write_text(f"version: 1\nextends: {REPO / 'lovkorning.yaml'}\nstate: {{dir: {tmp_path / 'state'}}}\n")
    cfg = load(cfg_path)
    months, fig, sources, missing = history.window(cfg, Period(2023, 9), 3, date(2023, 10, 9))
    assert set(sources.values()) == {"indata"} and missing == []
    got = followup.flags(fig, cfg.cfg.diff, months)
    planted = json.loads((REPO / "sample_data/2023-09/facit.json").read_text(encoding="utf-8"))["uppfoljning"]
    expected = sorted(
        [("under-mal", u, None, tuple(ms)) for u, ms in planted["under-mal"].items()]
        + [("granskning", g["utforare_id"], g["brukare_id"]) for g in planted["granskning"]]
        + [("manuell-tid", u, None, tuple(ms)) for u, ms in planted["manuell-tid"].items()]
        + [("avbojda-besok", u, None, tuple(ms)) for u, ms in planted["avbojda-besok"].items()], key=str)
    actual = sorted([(r["flagga"], r["utforare_id"], r["brukare_id"]) + ((tuple(r["manader"]),) if r["flagga"] != "granskning" else ())
                     for r in got.iter_rows(named=True)], key=str)
    assert actual == expected
    decoys = {d["brukare_id"] if isinstance(d, dict) else d for d in planted["decoys"]}
    assert not decoys & set(got["brukare_id"].drop_nulls().to_list())


def test_sample_sheets_leave_out_insatser_outside_lov_and_their_hours_add_up(settled, tmp_path):
    """Seed 001: the Timunderlag LOV holds only insatser within LOV (Natthjälp and Tillsyn (digital)
    are not); and in every table the displayed hours add up to its Totalt row."""
    import openpyxl
    from lovkorning.write.workbook import write_all_workbooks
    from lovkorning.write.cells import Options
    opts = Options.of(load(REPO / "lovkorning.yaml"))
    assert opts.utanfor_lov == {"Natthjälp", "Tillsyn (digital)"}
    assert settled.avr.tid.filter(pl.col("insats").is_in(sorted(opts.utanfor_lov))).height
    write_all_workbooks(settled.avr, tmp_path, opts=opts)
    hours = {"Beviljad tid", "Uppehåll", "Beviljad tid LOV", "Utförd tid", "Ersättn.timmar", "Ersatt tid (h)"}
    for path in sorted(tmp_path.glob("*.xlsx")):
        wb = openpyxl.load_workbook(path)
        for sheet in ("Timunderlag", "Per brukare", "Rader"):
            rows = list(wb[sheet].iter_rows(values_only=True))
            header, body, total = rows[0], rows[1:-1], rows[-1]
            assert not opts.utanfor_lov & {r[header.index("Insats" if "Insats" in header else "Insatstyp")] for r in body}
            for k, h in enumerate(header):
                if h in hours and total[k] is not None:
                    assert sum(round((r[k] or 0) * 100) for r in body) == round(total[k] * 100), (path.name, sheet, h)
