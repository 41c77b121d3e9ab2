"""The Österåker months (seed 004): the current model (time inside 07:00–22:30, överenskommen
övertid, a change of utförare, a visit over midnight) and the proposed per-insats model (schablon
registrations paid at most `antal` per order period), their planted cases and their facit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta

from .kommuner import BRUKARE_GAP, DAY, KOMMUNER, MAX_SEK, MIN, WINDOW, Req, Routine, Visit, clock
from .modelmonth import Month, beviljad_lov, service_routines
from .modelplant import plant_general
from .world import local_time


# ---------------------------------------------------------------- Österåker (004)

def _osteraker_routines(m: Month, b: int, insats_model: bool) -> None:
    rng, x = m.rng, m.bru[b]
    R = x.routines
    if x.profile in ("latt", "tung"):
        tung = x.profile == "tung"
        early = b in m.edges["early"]
        pref = clock("06:35") if early else clock("07:15") + int(rng.integers(0, 120)) * MIN
        po = float(rng.choice([40, 45, 60] if tung else [25, 30, 40]))
        dusch = ((m.weekdays(int(rng.choice([1, 1, 2]))), "Dusch", 40.0),) if rng.random() < 0.75 else ()
        R.append(Routine((("Personlig omvårdnad", po),), pref, extra=dusch, spread=10 * MIN if early else 15 * MIN))
        if tung:
            R.append(Routine((("Måltid", 20.0),) + ((("Personlig omvårdnad", 15.0),) if rng.random() < 0.5 else ()),
                             clock("11:30") + int(rng.integers(0, 60)) * MIN))
            late = b in m.edges["late"]
            ev = clock("22:05") if late else clock("18:30") + int(rng.integers(0, 90)) * MIN
            R.append(Routine((("Personlig omvårdnad", 30.0), ("Måltid", 12.5)), ev, spread=10 * MIN if late else 15 * MIN))
            n_tillsyn = int(rng.choice([0, 1, 2, 3], p=[0.3, 0.3, 0.25, 0.15])) if insats_model else int(rng.random() < 0.6)
            night = b in m.edges["night"]
            n_tillsyn = max(n_tillsyn, int(night))
            slots = [clock("10:20"), clock("15:00"), clock("21:15")]
            for s in slots[3 - n_tillsyn:]:
                at = clock("23:00") if night and s == slots[2] else s
                R.append(Routine((("Tillsyn", 10.0),), at + int(rng.integers(0, 20)) * MIN, spread=5 * MIN))
        elif rng.random() < 0.4:
            R.append(Routine((("Personlig omvårdnad", 20.0),), clock("19:30") + int(rng.integers(0, 60)) * MIN))
    if x.profile == "service" or rng.random() < 0.7:
        service_routines(m, b, {}, weekly_stad=0.35)
    if rng.random() < 0.1:
        k = int(rng.integers(1, 3))
        R.append(Routine((("Ledsagning", float(rng.choice([60, 90, 120]))),), clock("12:30") + int(rng.integers(0, 120)) * MIN,
                         "manad", days=m.month_days(k, weekdays_only=False)))


def _osteraker_world(m: Month, insats_model: bool) -> None:
    m.cancel = 0.02
    m.make_brukare({"service": 0.3, "latt": 0.4, "tung": 0.3}, (0.78, 1.0) if not insats_model else (0.7, 1.05))
    m.make_uppehall()
    if not insats_model:   # visits across 07:00 and 22:30, and a late Tillsyn entirely outside
        tung = m.rng.permutation([b for b, x in enumerate(m.bru) if x.profile == "tung" and b not in m.special]).tolist()
        m.edges = {"early": set(tung[:5]), "late": set(tung[5:9]), "night": set(tung[9:12])}
    pool = [b for b, x in enumerate(m.bru) if x.profile != "service" and b not in m.special]
    byte = int(m.rng.choice(pool))
    x = m.bru[byte]
    x.byte = (int((x.utf + 1 + m.rng.integers(0, len(KOMMUNER["osteraker"].names) - 1)) % len(KOMMUNER["osteraker"].names)), 15)
    m.special.add(byte)
    for b in range(m.n):
        _osteraker_routines(m, b, insats_model)
        m.orders_from_routines(b, antal=insats_model)


def _plant_old_provider_visit(m: Month) -> None:
    """The previous utförare registers a visit after the brukare changed provider."""
    b = next(b for b, x in enumerate(m.bru) if x.byte)
    x = m.bru[b]
    d = x.byte[1] + 2
    taken = [(v.t_in, v.t_out) for v in m.visits if v.bru == b and v.day == d]
    a = d * DAY + clock("13:00") + int(m.rng.integers(0, 300))
    while any(s - BRUKARE_GAP < a + 50 * MIN and a < e + BRUKARE_GAP for s, e in taken):
        a += 30 * MIN
    s = m.hire("extra")
    m.visits.append(Visit(b, x.utf, s, d, a, a + 50 * MIN, ("Städning",), plain=False))
    m.note("insats-ej-i-bestallning", len(m.visits) - 1, insats="Städning", efter_byte=True)
    m.expected["insats-ej-i-bestallning"] += 1


def build_osteraker(m: Month) -> dict:
    _osteraker_world(m, insats_model=False)
    over = [b for b, x in enumerate(m.bru) if x.profile in ("latt", "tung") and b not in m.special
            and m.rng.random() < 0.12]
    for b in over:
        m.bru[b].share = float(m.rng.uniform(1.12, 1.35))
    m.special |= set(over)
    midnight = _midnight_request(m)
    m.place(m.requests(lambda *_: []) + [midnight])
    plant_general(m, {"dubbel-handelse": 2, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
                      "saknar-tagg": 2, "korrigerad-manuell": 2, "avbojt-besok": 3})
    _plant_old_provider_visit(m)
    return {"over": over, "midnight": midnight}


def _midnight_request(m: Month) -> Req:
    """Ledsagning to an evening event, back after midnight: 21:30 → about 00:15."""
    for b, x in enumerate(m.bru):
        if b in m.special or x.fran >= 0 or x.till is not None:
            continue
        if not any(r.parts[0][0] == "Ledsagning" for r in x.routines):
            continue
        if any(r.pref >= clock("19:00") or r.pref < clock("07:00") for r in x.routines):
            continue
        d = int(m.rng.integers(3, m.days - 3))
        if d in x.upp or d + 1 in x.upp:
            continue
        m.special.add(b)
        at = d * DAY + clock("21:30") + int(m.rng.integers(0, 300))
        return Req(b, x.utf, d, at, [(0, 165 * MIN + int(m.rng.integers(0, 300)), ("Ledsagning",), "bistand")], fresh=True)
    raise RuntimeError("no brukare for a visit over midnight")


def build_osteraker_insats(m: Month) -> dict:
    _osteraker_world(m, insats_model=True)
    inkop = [b for b, x in enumerate(m.bru) if b not in m.special
             and any(r.parts[0][0] == "Inköp" for r in x.routines)][:8]
    mondays = [d for d in range(m.days - 6) if m.weekday(d) == 0]   # full ISO weeks inside the month
    for b in inkop:   # a second Inköp two days after the regular one, in the same week
        r = next(r for r in m.bru[b].routines if r.parts[0][0] == "Inköp")
        monday = int(m.rng.choice(mondays))
        regular = next(k for k in range(monday, monday + 7) if m.on(r, k))
        m.split_day[b] = regular + 2 if m.weekday(regular) <= 4 else regular - 2
    m.special |= set(inkop)
    m.place(m.requests(_insats_adhoc))
    plant_general(m, {"dubbel-handelse": 2, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
                      "saknar-tagg": 2, "korrigerad-manuell": 1, "avbojt-besok": 4})
    _plant_not_verkstalld_brukare(m)
    return {"inkop_delat": inkop}


def _insats_adhoc(m: Month, b: int, d: int, u: int) -> list[Req]:
    """More registrations than ordered: Inköp split over two visits in one week, and now and then an
    extra Personlig omvårdnad in the afternoon."""
    rng, x = m.rng, m.bru[b]
    out = []
    if m.split_day.get(b) == d:
        out.append(m.req(b, u, d, clock("14:30"), 25, ("Inköp",), "bistand"))
    if x.profile == "tung" and rng.random() < 0.06:
        out.append(m.req(b, u, d, clock("15:40"), 20, ("Personlig omvårdnad",), "bistand"))
    if sum(r.parts[0][0] == "Tillsyn" for r in x.routines) == 3 and rng.random() < 0.05:
        out.append(m.req(b, u, d, clock("18:00") + int(rng.integers(0, 30)) * MIN, 8, ("Tillsyn",), "bistand"))
    return out


def _plant_not_verkstalld_brukare(m: Month) -> None:
    """A new brukare whose orders are not verkställd yet: ej-verkstalld per order line, no start fee."""
    pool = [b for b, x in enumerate(m.bru) if x.fran >= 2 and x.verk is not None and b not in m.used
            and not any(v.bru == b for v in m.visits)]
    if not pool:   # make one: a new brukare whose first visits would come after the month
        pool = [b for b, x in enumerate(m.bru) if x.fran >= 2 and b not in m.used]
    b = int(m.rng.choice(pool))
    m.used.add(b)
    m.bru[b].verk = None
    for v in m.visits:
        if v.bru == b:
            v.mode = "gone"
    lines = [o for o in m.orders if o.bru == b]
    for o in lines:
        o.verk = None
        m.details["ej-verkstalld"].append({"brukare": b, "utforare": o.utf, "insats": o.insats,
                                           "giltig_fran": o.fran})
    m.expected["ej-verkstalld"] += len(lines)


# ---------------------------------------------------------------- facit

def window_seconds(a: int, z: int, day: int) -> int:
    return sum(max(0, min(z, (day + k) * DAY + WINDOW[1]) - max(a, (day + k) * DAY + WINDOW[0])) for k in (-1, 0, 1))


def ordered_that_day(m: Month, v: Visit, insats: str) -> bool:
    """An order of the brukare at the visit's utförare names the insats, verkställd that day."""
    return any(o.utf == v.utf and o.bru == v.bru and o.insats == insats and o.verk is not None
               and max(o.fran, o.verk) <= v.day and (o.till is None or v.day <= o.till) for o in m.orders)


def payable_seconds(m: Month, valid: list[Visit], eff: dict) -> Counter:
    """Counted seconds per (utförare, brukare) of the insatser ordered on the visit's day: what
    `cap: brukare` may pay (the visit's time split equally over its insatser, remainder first)."""
    out: Counter = Counter()
    for v in valid:
        a, z = eff[id(v)]
        secs = min(window_seconds(a, z, v.day), MAX_SEK)
        n = len(v.insatser)
        for i, insats in enumerate(v.insatser):
            if ordered_that_day(m, v, insats):
                out[(v.utf, v.bru)] += secs // n + (secs - secs // n * n if i == 0 else 0)
    return out


def facit_osteraker(m: Month, info: dict, eff: dict) -> dict:
    valid = m.valid_visits()
    utford: Counter = Counter()
    for v in valid:
        a, z = eff[id(v)]
        utford[(v.utf, v.bru)] += min(window_seconds(a, z, v.day), MAX_SEK)
    lov: Counter = Counter()
    for o in m.orders:
        lov[(o.utf, o.bru)] += beviljad_lov(m, o)
    over = [k for k in sorted(utford, key=lambda k: (k[0], m.pnr[k[1]])) if k[1] in info["over"] and utford[k] > lov[k]]
    if len(over) < 2:
        raise RuntimeError("too few brukare above beviljad")
    a, b = over[0], over[1]   # approved in advance: more than needed, and less than needed
    for key, minutes in ((a, ((utford[a] - lov[a]) // 1800 + 2) * 30), (b, max(30, (utford[b] - lov[b]) // 3600 * 30))):
        m.overtid.append((key[1], key[0], int(minutes)))   # whole half hours: more than needed, about half
    ot = {(u, b): x * 60 for b, u, x in m.overtid}
    payable = payable_seconds(m, valid, eff)
    ersatt = {k: min(payable[k], lov[k] + ot.get(k, 0)) for k in utford}
    uid = m.utforare["utforare_id"]
    b_byte = next(b for b, x in enumerate(m.bru) if x.byte)
    x = m.bru[b_byte]
    edge = Counter()
    for v in valid:
        s0, s1 = v.t_in - v.day * DAY, v.t_out - v.day * DAY
        if s0 < WINDOW[0] < s1:
            edge["over_0700"] += 1
        elif s0 < WINDOW[1] < s1:
            edge["over_2230"] += 1
        if window_seconds(v.t_in, v.t_out, v.day) == 0:
            edge["helt_utanfor"] += 1
    mid = info["midnight"]
    return {
        "utford_sek": sum(utford.values()), "beviljad_lov_sek": sum(lov.values()),
        "ersatt_sek": sum(ersatt.values()),
        "brukare_over_beviljad": sum(1 for k in utford if utford[k] > lov[k]),
        "overtid": [{"brukare_id": m.pnr[b], "utforare_id": uid[u], "minuter": x_, "utford_sek": utford[(u, b)],
                     "beviljad_lov_sek": lov[(u, b)], "ersatt_sek": ersatt[(u, b)]} for b, u, x_ in m.overtid],
        "besok_fonster": dict(sorted(edge.items())),
        "utforarbyte": [{"brukare_id": x.pnr, "fran_utforare": uid[x.utf], "till_utforare": uid[x.byte[0]],
                         "forsta_dag": str(m.period.start + timedelta(days=x.byte[1]))}],
        "over_midnatt": {"brukare_id": m.pnr[mid.bru], "tidpunkt_in": local_time(
            datetime.combine(m.period.start, datetime.min.time()), mid.start),
            "raknade_sek": mid.day * DAY + WINDOW[1] - mid.start},
    }


def iso_key(m: Month, d: int, per: str) -> str:
    day = m.period.start + timedelta(days=d)
    return {"dag": str(day), "vecka": "%d-V%d" % day.isocalendar()[:2], "manad": "månad"}[per]


def facit_insats(m: Month, info: dict, eff: dict) -> dict:
    """Schablon registrations paid at most `antal` per order period, counted from the visits."""
    valid = m.valid_visits()
    regs, per_order = Counter(), Counter()
    index = defaultdict(list)
    for o in m.orders:
        index[(o.bru, o.utf, o.insats)].append(o)
    for v in valid:
        for insats in v.insatser:
            o = next((o for o in index[(v.bru, v.utf, insats)] if o.verk is not None
                      and max(o.fran, o.verk) <= v.day and (o.till is None or v.day <= o.till)), None)
            regs[insats] += 1
            if o is not None:
                per_order[(id(o), iso_key(m, v.day, o.per))] += 1
    antal = {id(o): o for o in m.orders}
    paid = Counter()
    for (oid, _), k in per_order.items():
        paid[antal[oid].insats] += min(k, antal[oid].antal)
    m.expected["over-antal"] = sum(per_order.values()) - sum(paid.values())    # each reported, at its row
    first: dict[tuple[int, int], int] = {}
    for o in m.orders:
        if o.verk is not None:
            k = (o.utf, o.bru)
            first[k] = min(first.get(k, 10**9), max(o.fran, o.verk))
    uid = m.utforare["utforare_id"]
    b_byte = next(b for b, x in enumerate(m.bru) if x.byte)
    x = m.bru[b_byte]
    return {
        "schablon": {"registrerade": sum(regs.values()), "med_bestallning": sum(per_order.values()),
                     "ersatta": sum(paid.values()),
                     "per_insats": {i: {"registrerade": regs[i], "ersatta": paid[i]} for i in sorted(regs)}},
        "uppstart": sum(1 for d in first.values() if 0 <= d < m.days),
        "besoksersattning": len(valid),
        "inkop_delat_brukare": [m.pnr[b] for b in info["inkop_delat"]],
        "utforarbyte": [{"brukare_id": x.pnr, "fran_utforare": uid[x.utf], "till_utforare": uid[x.byte[0]],
                         "forsta_dag": str(m.period.start + timedelta(days=x.byte[1]))}],
    }
