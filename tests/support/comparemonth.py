"""The hand-computed month of tests/run/test_compare.py (its docstring does the arithmetic), and
its two configs: A, Norrköping's model; B, RAM-tid on utförd tid capped per order."""

from __future__ import annotations

from pathlib import Path

from support.monthbuilder import BG_2, BRUKARE_A, BRUKARE_B, BRUKARE_C, BRUKARE_D, Month

UTFORD_RULES = """
rules:
  - {name: Ramtid på utförd tid, insatser: [RAM-tid], basis: utford, cap: order, rate: timpris}
  - {name: Utförd tid upp till beviljad, insatser: [Avlösning, Ledsagning, Egenvård, Vak], basis: utford, cap: order, rate: timpris}
  - {name: Matdistribution, insatser: [Matdistribution], basis: beviljad, rate: timpris}
  - {name: Ingår ej i LOV, insatser: ["Natthjälp", "Tillsyn (digital)"], basis: none}
  - {name: Genomförandeplan, basis: genomforandeplan, hours: 2, rate: timpris}
"""


def hand_month() -> Month:
    m = Month().utforare("U01", "Omsorg Öst AB").utforare("U02", "Väst AB", bankgiro=BG_2, flaggor="saknar_heltid")
    m.order("B1", BRUKARE_A, "U01", "RAM-tid", "600")
    for day in (4, 11, 18, 25):
        m.visit(BRUKARE_A, "U01", "P1", f"2023-09-{day:02d} 08:00:00", 3 * 3600, "RAM-tid")
    m.rows["overtid"].append(dict(brukare_id=BRUKARE_A, utforare_id="U01", minuter="60"))
    m.order("B2", BRUKARE_B, "U02", "RAM-tid", "300")
    m.visit(BRUKARE_B, "U02", "P2", "2023-09-05 09:00:00", 3600, "RAM-tid")
    m.visit(BRUKARE_B, "U02", "P2", "2023-09-06 09:00:00", 3600, "RAM-tid")
    m.event(BRUKARE_B, "U02", "P2", "2023-09-07 09:00:00", "in")
    m.event(BRUKARE_B, "U02", "P2", "2023-09-31 10:00:00", "ut", insatser="RAM-tid")      # rejected: no such day
    m.order("B3", BRUKARE_C, "U02", "RAM-tid", "240", fran="2023-09-16")
    m.visit(BRUKARE_C, "U02", "P3", "2023-09-10 10:00:00", 3600, "RAM-tid")             # before the order
    m.visit(BRUKARE_C, "U02", "P3", "2023-09-20 10:00:00", 3600, "RAM-tid")
    m.order("B4", BRUKARE_D, "U02", "RAM-tid", "120", zon="landsbygd")
    for day in (12, 13, 14):
        m.visit(BRUKARE_D, "U02", "P4", f"2023-09-{day:02d} 13:00:00", 1800, "RAM-tid")
    return m


def configs(tmp_path: Path, month: Month | None = None) -> tuple[Path, Path]:
    """A (the month's own config) and B beside it: the same with RAM-tid on utförd tid, and its
    own inputs section pointing nowhere (B's inputs are not read)."""
    a = (month or hand_month()).write(tmp_path)
    b = tmp_path / "b.yaml"
    b.write_text("extends: lovkorning.yaml\ninputs: {dir: \"finns-inte/{month}\"}\nstate: {dir: state-b}\n"
                 "output: {dir: \"out-b/{month}\"}\n" + UTFORD_RULES, encoding="utf-8")
    return a, b
