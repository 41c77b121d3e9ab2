"""The Norrtälje month (KSON, seed 003): routines by profile (omsorg with delegated HSL, service,
hembesök), larm call-outs, lifts by two staff, its planted cases, and its facit.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

from .kommuner import DAY, MIN, OMSORG, SERVICE, Order, Req, Routine, Visit, clock
from .modelmonth import Month, beviljad_lov, service_routines
from .modelplant import plant_double_staff_missing, plant_general, plant_simultaneous


# ---------------------------------------------------------------- Norrtälje (KSON, 003)

def _norrtalje_routines(m: Month, b: int) -> None:
    rng, x = m.rng, m.bru[b]
    R = x.routines
    omsorg = x.profile in ("latt", "tung")
    if omsorg:
        tung = x.profile == "tung"
        tasks = []
        if rng.random() < (0.6 if tung else 0.25):
            tasks = [t for t, p in (("Läkemedel", 0.8), ("Ögondroppar", 0.3), ("Stödstrumpor", 0.3)) if rng.random() < p]
            tasks = tasks or ["Läkemedel"]
        daily = tuple((t, {"Läkemedel": 5, "Ögondroppar": 3, "Stödstrumpor": 5}[t], 127) for t in tasks)
        morning_hsl = daily + ((("Omläggning", 15, m.weekdays(2)),) if tasks and rng.random() < 0.25 else ())
        parts = [("Morgonhjälp", float(rng.choice([40, 45, 60] if tung else [25, 30, 40])))]
        if tung:
            parts.append(("Förflyttning", 10.0))
        dusch = ((m.weekdays(1), "Dusch", 40.0),) if rng.random() < 0.8 else ()
        R.append(Routine(tuple(parts), clock("07:10") + int(rng.integers(0, 110)) * MIN, extra=dusch, hsl=morning_hsl))
        if tung:
            R.append(Routine((("Måltidsstöd", 20.0), ("Toalettbesök", 10.0)), clock("11:30") + int(rng.integers(0, 50)) * MIN))
            R.append(Routine((("Kvällshjälp", float(rng.choice([30, 40]))), ("Förflyttning", 10.0)),
                             clock("19:00") + int(rng.integers(0, 80)) * MIN, hsl=daily))
            if rng.random() < 0.7:
                R.append(Routine((("Tillsyn", float(rng.choice([7.5, 10]))),), clock("21:25") + int(rng.integers(0, 25)) * MIN,
                                 spread=5 * MIN))
        elif rng.random() < 0.6:
            R.append(Routine((("Kvällshjälp", float(rng.choice([20, 25]))),), clock("19:30") + int(rng.integers(0, 80)) * MIN,
                             hsl=daily))
    if x.profile == "service" or (omsorg and rng.random() < 0.7):
        service_routines(m, b, {"Städning": "Städning", "Tvätt": "Tvätt", "Inköp": "Inköp", "Ärenden": "Ärenden"})
    if x.profile == "hsl" and rng.random() < 0.5:   # delegated medicine, no bistånd order
        R.append(Routine((("Läkemedel", 6.0),), clock("08:00") + int(rng.integers(0, 90)) * MIN, kind="hsl"))
    x.larm = {"tung": 0.25, "latt": 0.12}.get(x.profile, 0.0) if rng.random() < 0.45 else 0.0
    enrolled = x.profile == "hsl" or rng.random() < {"tung": 0.3, "latt": 0.12}.get(x.profile, 0.0)
    if enrolled:
        R.append(Routine((("Hembesök HSL", float(rng.integers(15, 41))),), clock("09:00"), "manad",
                         days=m.month_days(int(rng.integers(1, 5))), kind="hembesok", pool="ssk", spread=6 * 3600))
    if x.profile != "service" and rng.random() < 0.08:
        R.append(Routine((("Hembesök rehab", float(rng.integers(30, 61))),), clock("09:00"), "manad",
                         days=m.month_days(int(rng.integers(1, 5))), kind="hembesok", pool="rehab", spread=6 * 3600))
    m.orders_from_routines(b)
    if enrolled:
        m.add_order(b, "Hemsjukvård", 0, "manad")


def _norrtalje_adhoc(m: Month, b: int, d: int, u: int) -> list[Req]:
    """Larm call-outs: night (00:15–01:15, 03:30–06:00), day and late evening."""
    x, rng = m.bru[b], m.rng
    if not x.larm or rng.random() >= x.larm:
        return []
    windows = ((clock("00:15"), 60), (clock("03:30"), 150), (clock("09:30"), 90), (clock("14:00"), 180),
               (clock("22:45"), 60))
    a, width = windows[int(rng.integers(0, len(windows)))]
    return [m.req(b, u, d, a + int(rng.integers(0, width)) * MIN, float(rng.integers(10, 36)),
                  ("Larmutryckning",), "larm")]


def build_norrtalje(m: Month) -> dict:
    m.cancel = 0.04
    m.make_brukare({"service": 0.28, "latt": 0.34, "tung": 0.30, "hsl": 0.08}, (0.58, 0.85))
    m.make_uppehall()
    dubbel = [b for b, x in enumerate(m.bru) if x.profile == "tung" and b not in m.special][:2]
    for b in range(m.n):
        _norrtalje_routines(m, b)
    for b in dubbel:   # lifts with two staff: morning and evening visits by two, ordered so
        x = m.bru[b]
        x.routines = [replace(r, staff=2) if any(i == "Förflyttning" for i, _ in r.parts) else r for r in x.routines]
        for o in m.orders:
            o.dubbel = o.dubbel or (o.bru == b and o.insats == "Förflyttning")
    m.special |= set(dubbel)
    m.place(m.requests(_norrtalje_adhoc))
    plant_general(m, {"dubbel-handelse": 3, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
                      "saknar-tagg": 2, "korrigerad-manuell": 2, "avbojt-besok": 4})
    plant_double_staff_missing(m, 2)
    plant_simultaneous(m, 2)
    _plant_pause_visit(m, ("Morgonhjälp",))
    _plant_not_ordered(m, "Dusch")
    _plant_not_verkstalld(m, "Tvätt", 60_000, "manad")
    return {"dubbelbemanning_ja": dubbel}


def _plant_pause_visit(m: Month, insatser: tuple[str, ...]) -> None:
    """The morning visit on the first day of a hospital stay (besok-under-uppehall)."""
    for b, f, t, orsak in m.uppehall:
        x = m.bru[b]
        if f >= 1 and t < m.days and orsak == "sjukhus" and any(r.parts[0][0] == insatser[0] for r in x.routines):
            d = f
            if any(v.bru == b and v.day == d for v in m.visits):
                continue
            s = m.hire("extra")
            a = d * DAY + clock("07:40") + int(m.rng.integers(0, 600))
            m.visits.append(Visit(b, x.utf, s, d, a, a + 22 * MIN + int(m.rng.integers(0, 300)), insatser, plain=False))
            m.note("besok-under-uppehall", len(m.visits) - 1, orsak=orsak)
            m.expected["besok-under-uppehall"] += 1
            return
    raise RuntimeError("no uppehåll to plant a visit in")


def _plant_not_ordered(m: Month, insats: str) -> None:
    """An insats registered that the brukare's order does not name (insats-ej-i-bestallning)."""
    ordered = {(o.bru, o.insats) for o in m.orders}
    i = m.take(where=lambda v: (v.bru, insats) not in ordered)
    v = m.visits[i]
    v.insatser = v.insatser + (insats,)
    m.note("insats-ej-i-bestallning", i, insats=insats)
    m.expected["insats-ej-i-bestallning"] += 1


def _plant_not_verkstalld(m: Month, insats: str, milli: int, per: str) -> None:
    """An order line added this month and not yet verkställd (ej-verkstalld)."""
    pool = [b for b, x in enumerate(m.bru) if b not in m.special and b not in m.used and x.fran < 0
            and not any(o.bru == b and o.insats == insats for o in m.orders)]
    b = int(m.rng.choice(pool))
    m.used.add(b)
    x = m.bru[b]
    f = int(m.rng.integers(3, m.days - 5))
    m.orders.append(Order(b, x.utf, insats, milli, per, f, x.till, None))
    m.details["ej-verkstalld"].append({"brukare": b, "utforare": x.utf, "insats": insats, "giltig_fran": f})
    m.expected["ej-verkstalld"] += 1


# ---------------------------------------------------------------- facit

def facit_norrtalje(m: Month, info: dict, eff: dict) -> dict:
    valid = m.valid_visits()
    by_kind = Counter(v.kind for v in valid)
    hembesok = Counter(v.insatser[0] for v in valid if v.kind == "hembesok")
    lov = sum(beviljad_lov(m, o) for o in m.orders if o.insats in OMSORG + SERVICE)
    seconds = Counter()
    for v in valid:
        seconds[v.kind] += eff[id(v)][1] - eff[id(v)][0]
    utford = sum(eff[id(v)][1] - eff[id(v)][0] for v in valid if set(v.insatser) <= set(OMSORG + SERVICE))
    return {
        "besok_per_slag": dict(sorted(by_kind.items())),
        "hembesok": {"Hembesök HSL": hembesok["Hembesök HSL"], "Hembesök rehab": hembesok["Hembesök rehab"]},
        "hsl_efter_bistand": sum(1 for v in valid if v.follow),
        "hsl_utford_sek": seconds["hsl"], "larm_utford_sek": seconds["larm"],
        "hemsjukvard_listade": sum(1 for o in m.orders if o.insats == "Hemsjukvård"),
        "dubbelbemanning_ja_brukare": [m.pnr[b] for b in info["dubbelbemanning_ja"]],
        "omsorg_service": {"beviljad_lov_sek": lov, "utford_sek": utford, "andel_utford": round(utford / lov, 3)},
    }
