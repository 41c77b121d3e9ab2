"""Norrköping's model (seeds 000–002), settled from input files, with the kronor worked out by hand.

The hourly rate is 452,00 kr (1 öre per 7,96… s): one hour pays 45 200 öre.
"""

from datetime import date

from lovkorning.config.loaded import load
from lovkorning.core.period import Period
from lovkorning.settle.month import settle_month
from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, Month

SEP = Period(2023, 9)
HOUR = 45_200


def settle(tmp_path, m: Month, extra: str = ""):
    return settle_month(load(m.write(tmp_path, config_extra=extra)), SEP, date(2023, 10, 9)).avr


def lines(avr, regel=None):
    r = avr.rader if regel is None else avr.rader.filter(avr.rader["regel"] == regel)
    return r.select("brukare_id", "insats", "ersatt_sek", "belopp_ore", "tillagg_ore").rows()


def found(avr, kod):
    return avr.avvikelser.filter(avr.avvikelser["kod"] == kod).height


def base() -> Month:
    return Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Hemtjänst Väst AB", bankgiro=BG_2)


def test_ramtid_pays_beviljad_not_utford(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "600")       # 10 h a month
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 08:00:00", 3600, "RAM-tid")   # only 1 h performed
    avr = settle(tmp_path, m)
    assert lines(avr, "Ramtid") == [("194001011230", "RAM-tid", 36_000, 10 * HOUR, 0)]
    assert avr.totals["U01"] == 10 * HOUR


def test_avlosning_is_paid_on_utford_up_to_beviljad_per_order(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "Avlösning", "120")     # 2 h granted
    for day in (4, 5, 6):                                              # 3 h performed
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 10:00:00", 3600, "Avlösning")
    m.order("B2", BRUKARE_B, "U01", "Ledsagning", "240")              # 4 h granted, 1,5 h performed
    m.visit(BRUKARE_B, "U01", "P1", "2023-09-07 10:00:00", 5400, "Ledsagning")
    avr = settle(tmp_path, m)
    assert lines(avr, "Utförd tid upp till beviljad") == [
        ("193506124563", "Ledsagning", 5400, 15 * HOUR // 10, 0),
        ("194001011230", "Avlösning", 7200, 2 * HOUR, 0)]


def test_overtid_approved_beforehand_raises_the_cap(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "Avlösning", "120")
    for day in (4, 5, 6):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 10:00:00", 3600, "Avlösning")
    m.rows["overtid"].append(dict(brukare_id=BRUKARE_A, utforare_id="U01", minuter="30"))
    avr = settle(tmp_path, m)
    assert lines(avr, "Utförd tid upp till beviljad") == [("194001011230", "Avlösning", 9000, 25 * HOUR // 10, 0)]


def test_first_genomforandeplan_earns_two_hours_once(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "0", fran="2023-09-10")
    m.plan(BRUKARE_A, "U01", "2023-09-12").plan(BRUKARE_A, "U01", "2023-09-20")   # the second is not paid
    m.plan(BRUKARE_B, "U01", "2023-09-12")                                        # no order at U01
    m.order("B2", BRUKARE_C, "U02", "RAM-tid", "0").plan(BRUKARE_C, "U02", "2023-05-02")   # paid back in May
    avr = settle(tmp_path, m)
    assert lines(avr, "Genomförandeplan") == [("194001011230", "Genomförandeplan", 7200, 2 * HOUR, 0)]
    assert (found(avr, "genomforandeplan-redan-ersatt"), found(avr, "genomforandeplan-utan-bestallning"),
            found(avr, "utanfor-perioden")) == (1, 1, 1)


def test_landsbygd_supplement_is_ten_percent_per_line(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "601", zon="landsbygd")
    avr = settle(tmp_path, m)
    # 601 min = 36 060 s → 452 × 36 060 / 3 600 = 4 527,53 kr (452 753,33 öre → 452 753), + 10 % = 45 275,3 → 45 275
    assert lines(avr) == [("194001011230", "RAM-tid", 36_060, 452_753, 45_275)]
    assert avr.totals["U01"] == 498_028


def test_heltid_deduction_is_two_percent_of_the_utforare_total(tmp_path):
    m = Month().utforare("U01", "Omsorg Öst AB", flaggor="saknar_heltid")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600").order("B2", BRUKARE_B, "U01", "RAM-tid", "300", zon="landsbygd")
    avr = settle(tmp_path, m)
    base_ore = 10 * HOUR + 5 * HOUR + 5 * HOUR // 10     # lines plus landsbygd on B2
    j = avr.justeringar.select("namn", "bas_ore", "belopp_ore").rows()
    assert j == [("Avdrag heltid och sammanhållen arbetstid", base_ore, -round(base_ore * 0.02))]
    assert avr.totals["U01"] == base_ore - round(base_ore * 0.02)


def test_egen_regi_is_settled_but_not_paid(tmp_path):
    m = base().utforare("U09", "Norrköpings kommun hemtjänst", regi="egen")
    m.order("B1", BRUKARE_A, "U09", "RAM-tid", "600")
    avr = settle(tmp_path, m)
    assert avr.totals["U09"] == 10 * HOUR
    assert [p[0] for p in avr.private_payees()] == []


def test_insatser_outside_lov_and_without_rule_are_reported_not_paid(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "Natthjälp", "600").order("B2", BRUKARE_A, "U01", "Fotvård", "60")
    m.order("B3", BRUKARE_A, "U01", "RAM-tid", "60")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-04 02:00:00", 900, "Natthjälp")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-05 08:00:00", 540, "Morgonhjälp")   # should have been RAM-tid
    avr = settle(tmp_path, m)
    assert [l[1] for l in lines(avr)] == ["RAM-tid"]
    assert {k: found(avr, k) for k in ("bestallning-ej-i-lov", "bestallning-utan-regel", "insats-ej-i-lov",
                                       "insats-utan-regel", "insats-ej-i-bestallning")} == {
        "bestallning-ej-i-lov": 1, "bestallning-utan-regel": 1, "insats-ej-i-lov": 1,
        "insats-utan-regel": 1, "insats-ej-i-bestallning": 1}


def test_visit_at_a_brukare_of_another_utforare(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    m.visit(BRUKARE_A, "U02", "P7", "2023-09-04 08:00:00", 900, "RAM-tid")
    avr = settle(tmp_path, m)
    assert found(avr, "besok-utan-bestallning") == 1 and "U02" not in set(avr.rader["utforare_id"])


def test_visit_during_uppehall_is_reported(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "600").pause(BRUKARE_A, "2023-09-10", "2023-09-14")
    m.visit(BRUKARE_A, "U01", "P1", "2023-09-12 08:00:00", 900, "RAM-tid")
    avr = settle(tmp_path, m)
    assert found(avr, "besok-under-uppehall") == 1
    assert avr.tid.select("beviljad_sek", "uppehall_sek", "beviljad_lov_sek").row(0) == (36_000, 6_000, 30_000)


def test_rate_change_mid_month_pays_each_part_at_its_rate(tmp_path):
    m = base().order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    cfg_text = m.write(tmp_path)
    cfg_text.write_text(cfg_text.read_text().replace("2023-10-01: 468.00", "2023-09-16: 468.00"))
    avr = settle_month(load(cfg_text), SEP, date(2023, 10, 9)).avr
    assert lines(avr) == [("194001011230", "RAM-tid", 18_000, 226_000, 0), ("194001011230", "RAM-tid", 18_000, 234_000, 0)]


def test_timunderlag_counts_a_visit_with_two_insatser_once_in_the_totals(tmp_path):
    """Two 1 h visits registered Avlösning|Ledsagning: each insats row has both visits and half the
    time (2 × 1 800 s = 1 h, 0,50 h per visit); the Totalt rows have 2 visits of 1,00 h, not 4 of 0,50."""
    import openpyxl
    from lovkorning.write.sammanstallning import write_sammanstallning
    from lovkorning.write.workbook import write_utforare_workbook

    m = base().order("B1", BRUKARE_A, "U01", "Avlösning", "120").order("B2", BRUKARE_A, "U01", "Ledsagning", "120")
    for day in (4, 5):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 10:00:00", 3600, "Avlösning|Ledsagning")
    avr = settle(tmp_path / "in", m)
    assert avr.totals["U01"] == 2 * HOUR                   # 3 600 s × 452 kr on each insats: 45 200 + 45 200
    write_utforare_workbook(avr, "U01", tmp_path / "U01.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "U01.xlsx")
    rows = list(wb["Timunderlag"].iter_rows(values_only=True))
    assert rows[1:] == [("Avlösning", 2.0, None, 2.0, 1.0, 1.0, 2, 0.5, 452.0),
                        ("Ledsagning", 2.0, None, 2.0, 1.0, 1.0, 2, 0.5, 452.0),
                        ("Totalt", 4.0, None, 4.0, 2.0, 2.0, 2, 1.0, 904.0)]
    per_brukare = list(wb["Per brukare"].iter_rows(values_only=True))
    assert [r[7] for r in per_brukare[1:]] == [2, 2, 2] and per_brukare[-1][8] == 1.0
    write_sammanstallning(avr, tmp_path / "s.xlsx")
    summary = list(openpyxl.load_workbook(tmp_path / "s.xlsx")["Sammanställning"].iter_rows(values_only=True))
    assert [r[7] for r in summary if r[0] in ("U01", "U02", "Totalt")] == [2, 0, 2]
