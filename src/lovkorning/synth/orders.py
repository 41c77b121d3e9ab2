"""The Norrköping month's order lines (RAM-tid, the insatser paid on utförd tid, Matdistribution,
Natthjälp, Tillsyn), the planted ones (ended before the month, not yet verkställd) and the
genomförandeplaner. Orders are column blocks: a dict of numpy arrays keyed by `ORDER_KEYS`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .planter import Planter
from .streams import SLOT_IDX
from .world import EGEN, INS, NULL, PER, PLANT, World, special_mask

# insats outside ramtid: per, visits per week, duration range (minutes)
S_SPECS = {
    "Avlösning": ("vecka", (1, 2), (60, 180)),
    "Ledsagning": ("manad", (1,), (60, 180)),
    "Egenvård": ("vecka", (7,), (10, 25)),
    "Vak": ("vecka", (7,), (120, 180)),
}
S_SHARES = (0.4, 0.3, 0.2, 0.1)
ORDER_KEYS = ("bru", "utf", "insats", "m10", "per", "fran", "till", "verk", "dubbel", "slot",
              "nv", "mask", "dur_s", "tag")


def _block(n: int, **cols) -> dict[str, np.ndarray]:
    """An order block with defaults for the columns not given."""
    defaults = {"utf": EGEN, "m10": 0, "per": 1, "till": NULL, "dubbel": False, "slot": -1,
                "nv": 0, "mask": 127, "dur_s": 0.0, "tag": 0}
    out = {}
    for key in ORDER_KEYS:
        value = cols.get(key, defaults.get(key))
        out[key] = np.broadcast_to(np.asarray(value), (n,)).copy()
    return out


def _round5_m10(minutes: np.ndarray) -> np.ndarray:
    """Minutes rounded to whole 5 minutes, in tenths."""
    return (np.maximum(np.round(minutes / 5), 1) * 50).astype(np.int64)


def ramtid_orders(rng: np.random.Generator, w: World, andel: np.ndarray) -> dict[str, np.ndarray]:
    """One RAM-tid line per brukare: 10–80 h a month (20–50 h for the follow-up cases), visits
    planned at `andel` of it (followup.calibrate makes it exact later)."""
    n, days = w.n, w.days
    hours = 10 + 70 * rng.beta(1.6, 3.0, n)
    hours = np.where(special_mask(w), np.clip(hours, 20, 50), hours)
    weekly = rng.random(n) < 0.3
    decimal = rng.random(n) < 0.35
    m10 = np.where(decimal, np.round(hours * 600), _round5_m10(hours * 60))
    m10 = np.where(weekly, _round5_m10(hours * 60 * 7 / days), m10).astype(np.int64)
    daily = np.where(weekly, m10 / 70, m10 / 10 / days)
    target = daily * andel
    nv = np.clip(np.round(target / 25), 1, 4).astype(np.int64)
    return _block(n, bru=np.arange(n), utf=w.utf, insats=INS["RAM-tid"], m10=m10,
                  per=np.where(weekly, 1, 2), fran=w.start, till=w.till, verk=w.verk,
                  dubbel=rng.random(n) < 0.03, nv=nv, dur_s=target / nv * 60)


def _special_dates(rng: np.random.Generator, w: World, who: np.ndarray):
    """Dates of an extra order of existing brukare: started before the month, ends with the brukare."""
    fran = w.start[who] + np.floor(rng.random(who.size) * (-10 - w.start[who])).astype(np.int64)
    return fran, w.till[who], fran + rng.integers(0, 4, who.size)


def _eligible(rng: np.random.Generator, w: World, share: float, minimum: int) -> np.ndarray:
    pool = np.flatnonzero(((w.kind == 0) | (w.kind == 3)) & ~special_mask(w))
    return np.sort(rng.choice(pool, max(minimum, round(share * w.n)), replace=False))


def s_orders(rng: np.random.Generator, w: World, andel: np.ndarray) -> dict[str, np.ndarray]:
    """Avlösning, Ledsagning, Egenvård, Vak: paid on utförd tid up to beviljad; visits planned at
    about the brukare's `andel` of it."""
    who = _eligible(rng, w, 0.08, 4)
    names = list(S_SPECS)
    which = rng.choice(len(names), who.size, p=S_SHARES)
    which[:4] = np.arange(4)
    blocks = []
    for i, name in enumerate(names):
        sel = who[which == i]
        per, ks, (lo, hi) = S_SPECS[name]
        k = rng.choice(ks, sel.size)
        wd = rng.integers(0, 7, sel.size)
        mask = np.where(k == 7, 127, np.where(k == 2, (1 << wd) | (1 << ((wd + 3) % 7)), 1 << wd))
        dur = rng.uniform(lo, hi, sel.size)
        weekly_min = k * dur / andel[sel]
        m10 = _round5_m10(weekly_min * (w.days / 7 if per == "manad" else 1))
        fran, till, verk = _special_dates(rng, w, sel)
        blocks.append(_block(sel.size, bru=sel, utf=w.utf[sel], insats=INS[name], m10=m10,
                             per=PER.index(per), fran=fran, till=till, verk=verk,
                             slot=SLOT_IDX["S"], mask=mask, dur_s=dur * 60))
    return concat(blocks)


def other_orders(rng: np.random.Generator, w: World, andel: np.ndarray) -> dict[str, np.ndarray]:
    """Matdistribution (own utförare, 10 min a delivery), Natthjälp and Tillsyn (digital) (egen
    regi, not LOV)."""
    blocks = []
    mat = _eligible(rng, w, 0.12, 3)
    k = rng.choice([3, 7], mat.size)
    fran, till, verk = _special_dates(rng, w, mat)
    blocks.append(_block(mat.size, bru=mat, utf=w.utf[mat], insats=INS["Matdistribution"],
                         m10=k * 100, fran=fran, till=till, verk=verk, slot=SLOT_IDX["M"],
                         mask=np.where(k == 3, 0b0010101, 127), dur_s=600.0 * andel[mat]))
    for name, minutes, slot in (("Natthjälp", 105, "N"), ("Tillsyn (digital)", 35, None)):
        who = _eligible(rng, w, 0.03, 2)
        fran, till, verk = _special_dates(rng, w, who)
        blocks.append(_block(who.size, bru=who, utf=EGEN, insats=INS[name], m10=minutes * 10,
                             fran=fran, till=till, verk=verk,
                             slot=SLOT_IDX[slot] if slot else -1, dur_s=960.0))
    return concat(blocks)


def concat(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Order blocks one after the other, as one block."""
    return {key: np.concatenate([b[key] for b in blocks]) for key in ORDER_KEYS}


# ---------------------------------------------------------------- orders and plans planted

def plant_orders(rng: np.random.Generator, w: World, planter: Planter) -> dict[str, np.ndarray]:
    """Extra order lines: ended before the month, and added but not yet verkställd."""
    blocks = []
    for _ in range(PLANT["bestallning-fore-manaden"]):
        b = planter.take()
        fran = -int(rng.integers(90, 200))
        blocks.append(_block(1, bru=b, utf=w.utf[b], insats=INS["Ledsagning"], per=2, m10=2400,
                             fran=fran, till=-int(rng.integers(5, 40)), verk=fran, tag=1))
    for _ in range(PLANT["ej-verkstalld-tillagg"]):
        b = planter.take()
        blocks.append(_block(1, bru=b, utf=w.utf[b], insats=INS["Avlösning"], per=1, m10=1200,
                             fran=int(rng.integers(0, 15)), verk=NULL, tag=2))
    return concat(blocks)


def make_plans(rng: np.random.Generator, w: World, planter: Planter) -> pl.DataFrame:
    """One plan per verkställd new brukare; two for a few; old plans of existing brukare."""
    new = np.flatnonzero(w.kind == 1)
    g = np.minimum(w.verk[new] + rng.integers(3, 11, new.size), w.days - 1)
    bru, day = list(new), list(g)
    twice = new[np.argsort(w.verk[new], kind="stable")][:PLANT["genomforandeplan-redan-ersatt"]]
    for b in twice:
        first = int(w.verk[b] + rng.integers(3, 6))
        day[bru.index(b)] = first
        bru.append(b)
        day.append(min(first + int(rng.integers(7, 13)), w.days - 1))
        planter.details.setdefault("genomforandeplan-redan-ersatt", []).append(
            {"brukare": int(b), "utforare": int(w.utf[b]), "godkand": day[-1]})
    for _ in range(PLANT["plan-fore-manaden"]):
        b = planter.take()
        bru.append(b)
        day.append(int(rng.integers(max(w.verk[b] + 3, -400), 0)))
        planter.details.setdefault("utanfor-perioden", []).append(
            {"brukare": b, "utforare": int(w.utf[b]), "vad": "plan", "godkand": day[-1]})
    bru = np.array(bru, np.int64)
    return pl.DataFrame({"b": bru, "u": w.utf[bru], "d": np.array(day, np.int64)})
