"""A deterministic synthetic LOV month (Norrköping ramtid model) with planted avvikelser.
`generate(..., model=...)` writes a month for another config instead (Norrtälje, Österåker, Österåker
per insats); those are built in `generate_models`.

`generate()` writes `utforare.csv` and one month folder (bestallningar, uppehall, taggningar,
genomforandeplaner) like a Swedish export: UTF-8 with BOM, `;`, decimal comma, local times. It also
writes `facit.json`: what was planted and how many findings of each avvikelse code the run must
report. The bulk (orders, visits, tag events) is vectorised with numpy and polars; only the few
planted cases are placed one by one.

How normal data stays free of findings: a day is cut into time slots (below). Each slot has its own
staff pool per utförare; a staff member works one slot a day and serves `group` brukare in disjoint
sub-windows, so no staff member and no brukare ever has two visits at once, and a staff member
meets a brukare at most once a day.

A month is calibrated for follow-up (`lovkorning diff`, issue 4; see generate_followup): after the
avvikelser are planted, each brukare's visits are stretched or shrunk inside their sub-windows so
that its utförd tid is an exact share of its beviljad tid LOV (90–102 % for ordinary brukare). In
2023-07 … 2023-09 the follow-up cases are planted too, and 2023-09's facit lists them
(`uppfoljning`).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
from stdnum import luhn

from .core.period import Period

SIZES = {"small": 600, "norrkoping": 3000, "stockholm": 20000, "sweden": 250000}
MODELS = ("norrkoping", "norrtalje", "osteraker", "osteraker-insats")
MIN_BRUKARE = 150
ZONE = ZoneInfo("Europe/Stockholm")
NULL = -(10**7)  # "no date" in integer day columns

RAMTID_INSATSER = (
    "Morgonhjälp", "Bad/dusch", "Förmiddagshjälp", "Lunchhjälp", "Eftermiddagshjälp",
    "Kvällshjälp 1", "Kvällshjälp 2", "Städning", "Tvätt", "Promenad", "Telefonservice", "Inköp",
    "Inköp sammanboende", "Inköp service", "Internethandel", "Social tid, träning", "Ärenden",
    "Övrigt",
)
ORDER_INSATSER = ("RAM-tid", "Avlösning", "Ledsagning", "Egenvård", "Vak", "Matdistribution",
                  "Natthjälp", "Tillsyn (digital)")
INSATSER = ORDER_INSATSER + RAMTID_INSATSER
INS = {name: i for i, name in enumerate(INSATSER)}
PER = ("dag", "vecka", "manad")
EGEN = 0  # index of the egen regi utförare (U01)


@dataclass(frozen=True)
class Slot:
    start: int  # minutes after midnight
    end: int
    group: int  # brukare one staff member serves in turn
    min_s: int  # visit duration bounds, seconds
    max_s: int

    @property
    def width_s(self) -> int:
        return (self.end - self.start) * 60 // self.group


SLOTS = {
    "R0": Slot(7 * 60, 10 * 60, 3, 600, 55 * 60),
    "M": Slot(10 * 60 + 10, 10 * 60 + 55, 3, 300, 12 * 60),
    "R1": Slot(11 * 60, 13 * 60, 2, 600, 55 * 60),
    "S": Slot(13 * 60, 16 * 60 + 20, 1, 600, 190 * 60),
    "R2": Slot(16 * 60 + 30, 18 * 60 + 30, 2, 600, 55 * 60),
    "R3": Slot(18 * 60 + 45, 21 * 60 + 45, 3, 600, 55 * 60),
    "N": Slot(22 * 60, 23 * 60 + 50, 4, 600, 24 * 60),
}
SLOT_IDX = {name: i for i, name in enumerate(SLOTS)}
RAMTID_SLOTS = np.array([SLOT_IDX[s] for s in ("R0", "R3", "R1", "R2")])  # by visits per day

# insats outside ramtid: per, visits per week, duration range (minutes)
S_SPECS = {
    "Avlösning": ("vecka", (1, 2), (60, 180)),
    "Ledsagning": ("manad", (1,), (60, 180)),
    "Egenvård": ("vecka", (7,), (10, 25)),
    "Vak": ("vecka", (7,), (120, 180)),
}
S_SHARES = (0.4, 0.3, 0.2, 0.1)

COMPANY_NAMES = (
    "Omsorgshuset i Norrköping AB", "Hemtjänst Öst AB", "Vårdgården Söderköpingsvägen AB",
    "Trygga Händer i Östergötland AB", "Äldreomsorg Hageby AB", "Hjärtats Hemtjänst AB",
    "Solrosen Omsorg i Kolmården AB", "Ängsbacken Hemtjänst AB",
)
NAME_PREFIXES = ("Omsorgshuset", "Hemtjänst", "Vårdkraft", "Trygg Omsorg", "Närvård",
                 "Åldersro Omsorg", "Gläntan Hemtjänst", "Ängsbacken Omsorg", "Solrosen Hemtjänst",
                 "Hjärtats Omsorg")
NAME_PLACES = ("Norrköping", "Öst", "Väst", "Söder", "Norr", "Kneippen", "Hageby", "Navestad",
               "Skärblacka", "Åby", "Kolmården", "Smedby", "Klockaretorpet", "Marielund", "Ljura",
               "Vilbergen", "Eneby", "Lindö", "Östra Husby", "Kvillinge")

# planted cases: how many of each (independent of the size of the month)
PLANT = {
    "dubbel-handelse": 4, "saknar-utcheckning": 3, "saknar-incheckning": 3, "ut-fore-in": 2,
    "kort-besok": 3, "langt-besok": 2, "saknar-tagg": 4, "korrigerad-manuell": 3,
    "besok-utan-bestallning": 3, "besok-under-uppehall": 3, "avbojt-besok": 5,
    "besok-fore-manaden": 2, "plan-fore-manaden": 3, "bestallning-fore-manaden": 2,
    "ej-verkstalld-ny-brukare": 2, "ej-verkstalld-tillagg": 2, "genomforandeplan-redan-ersatt": 2,
    "besok-utan-insats": 2,
}
# rows every model's files get that the run rejects or flags (generate_models uses them too)
FILE_ERRORS = {"dubbel-rad": 1, "ogiltigt-tal": 1, "ogiltigt-datum": 1}


PROGRESS_LISTENERS: list = []  # callbacks (description, share done 0..1) while a month is generated


def progress(description: str, done: float) -> None:
    """Report a stage of the generation to whoever listens (`lovkorning generate`'s bar)."""
    for fn in PROGRESS_LISTENERS:
        fn(description, done)


# ---------------------------------------------------------------- identities

def n_utforare(n_brukare: int) -> int:
    """Utförare for a month of this size (8 / 25 / 120 at 600 / 3 000 / 20 000 brukare)."""
    return max(6, round(0.0573 * n_brukare**0.772))


def _digits(rng: np.random.Generator, n: int) -> str:
    return "".join(str(d) for d in rng.integers(0, 10, n))


def _with_luhn(payload: str) -> str:
    return payload + luhn.calc_check_digit(payload)


def _orgnr(rng: np.random.Generator, prefix: str) -> str:
    n = _with_luhn(prefix + _digits(rng, 9 - len(prefix)))
    return f"{n[:6]}-{n[6:]}"


def _bankgiro(rng: np.random.Generator) -> str:
    length = int(rng.choice([7, 8]))
    n = _with_luhn(str(rng.integers(1, 10)) + _digits(rng, length - 2))
    return f"{n[:-4]}-{n[-4:]}"


def _company_names(n: int) -> list[str]:
    combos = [f"{p} {q} AB" for q in NAME_PLACES for p in NAME_PREFIXES]
    names = list(dict.fromkeys(COMPANY_NAMES + tuple(combos)))
    names += [f"Hemtjänst {NAME_PLACES[i % len(NAME_PLACES)]} {i} AB" for i in range(n)]
    return names[:n]


def make_utforare(rng: np.random.Generator, n: int) -> pl.DataFrame:
    """The register: U01 is the municipality's own unit, the rest private companies."""
    width = max(2, len(str(n)))
    private = n - 1
    flagged = set(rng.choice(private, max(1, round(0.15 * private)), replace=False).tolist())
    bankgiros: list[str] = []
    while len(bankgiros) < private:
        bg = _bankgiro(rng)
        if bg not in bankgiros and bg.replace("-", "") != "9912346":
            bankgiros.append(bg)
    rows = [("Norrköpings kommun hemtjänst", "egen", _orgnr(rng, "2120"), None, None)]
    for i, name in enumerate(_company_names(private)):
        rows.append((name, "privat", _orgnr(rng, "556"), bankgiros[i],
                     "saknar_heltid" if i in flagged else None))
    return pl.DataFrame(
        {"utforare_id": [f"U{i + 1:0{width}d}" for i in range(n)],
         "namn": [r[0] for r in rows], "regi": [r[1] for r in rows],
         "orgnr": [r[2] for r in rows], "bankgiro": [r[3] for r in rows],
         "flaggor": [r[4] for r in rows]},
        schema={c: pl.String for c in ("utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor")},
    )


def make_personnummer(rng: np.random.Generator, n: int) -> list[str]:
    """Unique checksum-valid personnummer `YYYYMMDD-NNNN`, born 1925–1960; a few samordningsnummer."""
    m = n + n // 10 + 10
    span = (date(1960, 12, 31) - date(1925, 1, 1)).days + 1
    born = (np.datetime64("1925-01-01") + rng.integers(0, span, m)).astype(str)
    serial = rng.integers(2, 999, m)
    samord = rng.random(m) < 0.015
    samord[:3] = True
    out = []
    for b, s, sam in zip(born.tolist(), serial.tolist(), samord.tolist()):
        yyyy, mm, dd = b[:4], b[5:7], int(b[8:]) + 60 * sam
        payload = f"{yyyy[2:]}{mm}{dd:02d}{s:03d}"
        out.append(f"{yyyy}{mm}{dd:02d}-{s:03d}{luhn.calc_check_digit(payload)}")
    unique = list(dict.fromkeys(out))
    return unique[:n]


def _invalid_personnummer(valid: str) -> str:
    """The same number with a wrong check digit."""
    return valid[:-1] + str((int(valid[-1]) + 1) % 10)


# ---------------------------------------------------------------- the month's world

@dataclass
class World:
    period: Period
    n: int
    utforare: pl.DataFrame
    pnr: list[str]
    utf: np.ndarray  # brukare -> utförare index
    landsbygd: np.ndarray
    kind: np.ndarray  # 0 existing, 1 new, 2 new but not verkställd, 3 ending in the month
    start: np.ndarray  # first order day (day index from the 1st; negative = before the month)
    verk: np.ndarray
    till: np.ndarray  # NULL: open-ended
    upp: np.ndarray | None = None  # bool [brukare, day + 1] for day -1 .. last (make_uppehall)
    special: np.ndarray | None = None  # bool [brukare]: planted off their beviljad tid (follow-up)

    @property
    def days(self) -> int:
        return self.period.days

    @property
    def weekday0(self) -> int:
        return self.period.start.weekday()


def make_world(rng_base: np.random.Generator, rng: np.random.Generator, period: Period,
               n: int) -> World:
    """Brukare with their utförare and zon (stable per seed), and this month's start/end dates."""
    utforare = make_utforare(rng_base, n_utforare(n))
    pnr = make_personnummer(rng_base, n)
    k = utforare.height
    weights = np.concatenate([[0.35 / 0.65 * (1 / np.arange(1, k) ** 0.6).sum()],
                              1 / np.arange(1, k) ** 0.6])
    utf = rng_base.choice(k, n, p=weights / weights.sum())
    landsbygd = rng_base.random(n) < 0.15
    kind = np.zeros(n, np.int64)
    order = rng.permutation(n)
    n_new, n_end = max(4, round(0.05 * n)), max(2, round(0.03 * n))
    kind[order[:n_new]] = 1
    n_unverk = PLANT["ej-verkstalld-ny-brukare"]
    kind[order[n_new:n_new + n_unverk]] = 2
    kind[order[n_new + n_unverk:n_new + n_unverk + n_end]] = 3
    start = -rng.integers(30, 2500, n)
    start[kind == 1] = rng.integers(1, 20, n_new)
    start[order[:2]] = rng.integers(1, 6, 2)  # room for two plans in the month
    start[kind == 2] = rng.integers(3, 20, n_unverk)
    verk = start + rng.integers(0, 6, n)
    verk[kind == 1] = start[kind == 1] + rng.choice([0, 0, 1, 2, 3], n_new)
    verk[kind == 2] = NULL
    till = np.where(rng.random(n) < 0.15, period.days + rng.integers(30, 365, n), NULL)
    till[kind != 0] = NULL
    till[kind == 3] = rng.integers(5, period.days - 5, n_end)
    return World(period, n, utforare, pnr, utf, landsbygd, kind, start, verk, till)


def make_uppehall(rng: np.random.Generator, w: World) -> pl.DataFrame:
    """~5 % of the existing brukare pause a few days inside the month; fills `w.upp`."""
    candidates = np.flatnonzero((w.kind == 0) & (w.till == NULL) & ~_special(w))
    who = np.sort(rng.choice(candidates, max(3, round(0.05 * w.n)), replace=False))
    length = rng.integers(2, 11, who.size)
    fran = rng.integers(0, w.days - length + 1)
    till = fran + length - 1
    w.upp = np.zeros((w.n, w.days + 1), bool)
    for b, f, t in zip(who, fran, till):  # one row per paused brukare
        w.upp[b, f + 1:t + 2] = True
    orsak = rng.choice(["sjukhus", "korttidsboende", "avbojt"], who.size, p=[0.6, 0.25, 0.15])
    return pl.DataFrame({"b": who, "fran": fran, "till": till, "orsak": orsak})


# ---------------------------------------------------------------- orders

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


def _special(w: World) -> np.ndarray:
    return np.zeros(w.n, bool) if w.special is None else w.special


def ramtid_orders(rng: np.random.Generator, w: World, andel: np.ndarray) -> dict[str, np.ndarray]:
    """One RAM-tid line per brukare: 10–80 h a month (20–50 h for the follow-up cases), visits
    planned at `andel` of it (generate_followup.calibrate makes it exact later)."""
    n, days = w.n, w.days
    hours = 10 + 70 * rng.beta(1.6, 3.0, n)
    hours = np.where(_special(w), np.clip(hours, 20, 50), hours)
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
    pool = np.flatnonzero(((w.kind == 0) | (w.kind == 3)) & ~_special(w))
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
    return _concat(blocks)


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
    return _concat(blocks)


def _concat(blocks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([b[key] for b in blocks]) for key in ORDER_KEYS}


# ---------------------------------------------------------------- visits

def make_streams(orders: dict[str, np.ndarray], w: World) -> dict[str, np.ndarray]:
    """One stream per (order, slot): the visits one order gets in one slot, day by day."""
    ram = (orders["insats"] == INS["RAM-tid"]) & (orders["verk"] != NULL)
    idx, slot = [], []
    for p in range(4):
        sel = np.flatnonzero(ram & (orders["nv"] > p))
        idx.append(sel)
        slot.append(np.full(sel.size, RAMTID_SLOTS[p]))
    sel = np.flatnonzero((orders["slot"] >= 0) & (orders["verk"] != NULL))
    idx.append(sel)
    slot.append(orders["slot"][sel])
    o = np.concatenate(idx)
    till = np.where(orders["till"][o] == NULL, w.days - 1, orders["till"][o])
    return {"bru": orders["bru"][o], "utf": orders["utf"][o], "insats": orders["insats"][o],
            "slot": np.concatenate(slot), "mask": orders["mask"][o], "dur_s": orders["dur_s"][o],
            "lo": np.maximum(orders["verk"][o], -1), "hi": np.minimum(till, w.days - 1)}


def staff_pools(st: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Group streams per (utförare, slot); returns per stream: group, position, pool offset/size."""
    group_size = np.array([s.group for s in SLOTS.values()])[st["slot"]]
    key = st["utf"] * len(SLOTS) + st["slot"]
    order = np.lexsort((st["bru"], key))
    sorted_key = key[order]
    first = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    counts = np.diff(np.r_[first, sorted_key.size])
    rank = np.empty(key.size, np.int64)
    rank[order] = np.arange(key.size) - np.repeat(first, counts)
    gs = group_size[order][first]
    n_groups = -(-counts // gs)
    pool = n_groups + np.maximum(1, n_groups // 4)
    offset = np.cumsum(pool) - pool
    combo = np.empty(key.size, np.int64)
    combo[order] = np.repeat(np.arange(first.size), counts)
    return (rank // group_size, rank % group_size, np.stack([offset[combo], pool[combo]]),
            int(pool.sum()))


def _candidate_days(st: dict[str, np.ndarray], w: World) -> tuple[np.ndarray, np.ndarray]:
    """Stream and day of every visit on a weekday in its stream's mask, stream by stream."""
    cnt = np.clip(st["hi"] - st["lo"] + 1, 0, None)
    sid = np.repeat(np.arange(cnt.size), cnt)
    day = st["lo"][sid] + np.arange(sid.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    on = ((st["mask"][sid] >> ((w.weekday0 + day) % 7)) & 1).astype(bool)
    return sid[on], day[on]


def _sub_windows(rng: np.random.Generator, st: dict[str, np.ndarray], sid: np.ndarray,
                 day: np.ndarray, pos: np.ndarray) -> dict[str, np.ndarray]:
    """Each visit's time: inside its staff member's sub-window of its slot (seconds from the
    month's start), with a random duration."""
    slot = st["slot"][sid]
    starts = np.array([s.start * 60 for s in SLOTS.values()])
    width = np.array([s.width_s for s in SLOTS.values()])
    lo_s = np.array([s.min_s for s in SLOTS.values()])
    hi_s = np.array([s.max_s for s in SLOTS.values()])
    n = len(sid)
    dur = np.clip(st["dur_s"][sid] * rng.uniform(0.85, 1.15, n), lo_s[slot], hi_s[slot])
    dur = dur.astype(np.int64)
    offset = np.floor(rng.random(n) * (width[slot] - dur - 60 + 1)).astype(np.int64)
    win_lo = day * 86400 + starts[slot] + pos[sid] * width[slot]  # this staff member's sub-window
    t_in = win_lo + offset
    del offset
    return {"slot": slot.astype(np.int8), "t_in": t_in.astype(np.int32),
            "t_out": (t_in + dur).astype(np.int32), "win_lo": win_lo.astype(np.int32),
            "win_hi": (win_lo + width[slot]).astype(np.int32)}


def expand_visits(rng: np.random.Generator, st: dict[str, np.ndarray], w: World):
    """Every candidate visit (day -1 .. last day, uppehåll days included, flagged). Stored
    compactly: seconds from the month's start fit in int32, days in int16, slots and insatser in
    int8 (they are computed in int64)."""
    sid, day = _candidate_days(st, w)
    group, pos, pool, n_staff = staff_pools(st)
    visits = _sub_windows(rng, st, sid, day, pos)
    n = len(sid)
    one_manual = rng.random(n) < 0.10
    which = rng.random(n) < 0.5
    bru = st["bru"][sid].astype(np.int32)
    upp_day = w.upp[bru, day + 1]
    visits.update({
        "bru": bru, "utf": st["utf"][sid].astype(np.int32),
        "staff": (pool[0][sid] + (group[sid] + day) % pool[1][sid]).astype(np.int32),
        "insats": st["insats"][sid].astype(np.int8),
        "man_in": one_manual & which, "man_out": one_manual & ~which,
        "korr": np.zeros(n, bool), "mode": np.zeros(n, np.int8),
        "keep": (day >= 0) & ~upp_day, "upp_day": upp_day, "finding": np.zeros(n, bool),
        "fixed": np.zeros(n, bool), "day": day.astype(np.int16),
    })
    return visits, n_staff


# ---------------------------------------------------------------- planting

MODE_PAIR, MODE_ONLY_UT, MODE_ONLY_IN, MODE_SWAPPED, MODE_AVBOJT = range(5)


class Planter:
    """Plants the avvikelser into the visits, one brukare per planted case."""

    def __init__(self, rng: np.random.Generator, w: World, v: dict, orders: dict, n_staff: int):
        self.rng, self.w, self.v = rng, w, v
        self.roles = rng.choice(["usk", "vardbitrade", "sjukskoterska"], n_staff,
                                p=[0.55, 0.43, 0.02]).tolist()
        self.extra: list[dict] = []
        self.details: dict[str, list] = {}
        self.dups: list[tuple[int, str]] = []
        self.extra_visits: list[tuple[int, int, int, int]] = []  # brukare, utförare, t_in, t_out
        special = _special(w).copy()
        special[orders["bru"][orders["insats"] != INS["RAM-tid"]]] = True
        plain = (w.kind == 0) & (w.till == NULL) & ~w.upp.any(axis=1) & ~special
        ram = np.flatnonzero(orders["insats"] == INS["RAM-tid"])
        self.ram_hours = np.zeros(w.n)
        self.ram_hours[orders["bru"][ram]] = orders["m10"][ram] / 600 * np.where(
            orders["per"][ram] == 1, w.days / 7, 1)
        self.plain = list(rng.permutation(np.flatnonzero(plain)))
        self.by_bru = np.argsort(v["bru"], kind="stable")
        self.bru_sorted = v["bru"][self.by_bru]

    # -- helpers
    def take(self, min_hours: float = 0) -> int:
        """The next plain brukare (with at least `min_hours` of RAM-tid a month)."""
        for j in range(len(self.plain) - 1, -1, -1):
            if self.ram_hours[self.plain[j]] >= min_hours:
                return int(self.plain.pop(j))
        return int(self.plain.pop())

    def visits_of(self, b: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.bru_sorted, [b, b + 1])
        return self.by_bru[lo:hi]

    def pick(self, b: int, *, keep: bool = True, day: tuple[int, int] | None = None,
             upp: bool = False) -> int:
        """A RAM-tid visit of brukare b (by default: a normal one between the 2nd and last-1 day)."""
        v, idx = self.v, self.visits_of(b)
        lo, hi = day or (1, self.w.days - 2)
        ok = (v["insats"][idx] == INS["RAM-tid"]) & (v["day"][idx] >= lo) & (v["day"][idx] <= hi)
        ok &= (v["keep"][idx] == keep) & (v["upp_day"][idx] == upp) & (v["mode"][idx] == 0)
        i = int(self.rng.choice(idx[ok]))
        v["man_in"][i] = v["man_out"][i] = False
        v["keep"][i] = v["fixed"][i] = True
        return i

    def new_staff(self, role: str = "usk") -> int:
        self.roles.append(role)
        return len(self.roles) - 1

    def note(self, code: str, i: int, times: dict[str, str] | None = None, **extra) -> None:
        """Record a planted visit; `times` names the rows that exist: {key: "t_in" | "t_out"}."""
        v = self.v
        times = times or {"tidpunkt_in": "t_in", "tidpunkt_ut": "t_out"}
        info = {"brukare": int(v["bru"][i]), "utforare": int(v["utf"][i]),
                "personal": int(v["staff"][i])}
        info.update({key: int(v[col][i]) for key, col in times.items()})
        self.details.setdefault(code, []).append({**info, **extra})

    def add_event(self, b: str, u: str, staff: int, t: int | str, typ: str, insats: str | None,
                  metod: str = "tagg") -> None:
        self.extra.append({"bru": b, "utf": u, "staff": staff, "t": t, "typ": typ,
                           "metod": metod, "insatser": insats})

    # -- visit modifications
    def plant_modified(self) -> None:
        v = self.v
        for k in range(PLANT["dubbel-handelse"]):
            i = self.pick(self.take())
            self.dups.append((i, "in" if k % 2 == 0 else "ut"))
            v["finding"][i] = True
            self.note("dubbel-handelse", i, typ=self.dups[-1][1])
        for code, mode, times, extra in (
            ("saknar-utcheckning", MODE_ONLY_IN, {"tidpunkt_in": "t_in"}, {}),
            ("saknar-incheckning", MODE_ONLY_UT, {"tidpunkt_ut": "t_out"}, {}),
            ("ut-fore-in", MODE_SWAPPED, {"tidpunkt_ut_rad": "t_in", "tidpunkt_in_rad": "t_out"},
             {"fynd": 2}),
            ("avbojt-besok", MODE_AVBOJT, {"tidpunkt": "t_in"}, {}),
        ):
            for _ in range(PLANT[code]):
                i = self.pick(self.take())
                v["mode"][i] = mode
                self.note(code, i, times, **extra)
        for _ in range(PLANT["kort-besok"]):
            i = self.pick(self.take())
            v["t_out"][i] = v["t_in"][i] + 20
            v["finding"][i] = True
            self.note("kort-besok", i)
        for code, korr in (("saknar-tagg", False), ("korrigerad-manuell", True)):
            for _ in range(PLANT[code]):
                i = self.pick(self.take())
                v["man_in"][i] = v["man_out"][i] = True
                v["korr"][i] = korr
                v["finding"][i] = not korr
                self.note(code, i)
        for name in RAMTID_INSATSER:
            i = self.pick(self.take())
            v["insats"][i] = INS[name]
            v["finding"][i] = True
            self.note("insats-ej-i-bestallning", i, insats=name)

    def plant_outside(self) -> None:
        """Visits on uppehåll days and on the last day of the previous month."""
        v = self.v
        paused = self.rng.permutation(np.flatnonzero(self.w.upp.any(axis=1)))
        for b in paused[:PLANT["besok-under-uppehall"]].tolist():
            i = self.pick(b, keep=False, day=(0, self.w.days - 1), upp=True)
            v["finding"][i] = True
            self.note("besok-under-uppehall", i)
        for _ in range(PLANT["besok-fore-manaden"]):
            i = self.pick(self.take(), keep=False, day=(-1, -1))
            self.note("utanfor-perioden", i, vad="besok", fynd=2)

    # -- extra visits with their own staff
    def _extra_visit(self, code: str, b: int, u: int, t_in: int, t_out: int) -> None:
        staff = self.new_staff()
        pnr, uid = self.w.pnr[b], self._uid(u)
        self.add_event(pnr, uid, staff, t_in, "in", None)
        self.add_event(pnr, uid, staff, t_out, "ut", "RAM-tid")
        self.extra_visits.append((b, u, t_in, t_out))
        self.details.setdefault(code, []).append(
            {"brukare": b, "utforare": u, "personal": staff, "tidpunkt_in": t_in,
             "tidpunkt_ut": t_out})

    def _uid(self, u: int) -> str:
        return self.w.utforare["utforare_id"][u]

    def plant_extra(self) -> None:
        w, rng = self.w, self.rng
        for _ in range(PLANT["langt-besok"]):  # 8 h counted: at a brukare with room for it
            b, d = self.take(min_hours=40), self._no_dst_night(rng)
            t = d * 86400 + 21 * 3600 + 50 * 60 + int(rng.integers(0, 240))
            self._extra_visit("langt-besok", b, int(w.utf[b]), t, t + 9 * 3600)
        private = np.arange(1, w.utforare.height)
        for _ in range(PLANT["besok-utan-bestallning"]):
            b = self.take()
            u = int(rng.choice(private[private != w.utf[b]]))
            t = int(rng.integers(1, w.days - 1)) * 86400 + 6 * 3600 + 600 + int(rng.integers(0, 600))
            self._extra_visit("besok-utan-bestallning", b, u, t, t + int(rng.integers(900, 1800)))
        b = self.take()
        t = (w.days - 1) * 86400 + 23 * 3600 + 40 * 60
        self._extra_visit("over-midnatt", b, int(w.utf[b]), t, t + 45 * 60)

    def _no_dst_night(self, rng: np.random.Generator) -> int:
        """A day whose night to the next day has no daylight-saving change."""
        start = datetime.combine(self.w.period.start, datetime.min.time())
        while True:
            d = int(rng.integers(2, self.w.days - 2))
            a = (start + timedelta(days=d, hours=21)).replace(tzinfo=ZONE).utcoffset()
            b = (start + timedelta(days=d + 1, hours=8)).replace(tzinfo=ZONE).utcoffset()
            if a == b:
                return d

    def plant_row_errors(self) -> None:
        w, rng = self.w, self.rng
        b = self.take()
        bad = _invalid_personnummer(w.pnr[b])
        staff, uid = self.new_staff(), self._uid(int(w.utf[b]))
        t = int(rng.integers(1, w.days - 1)) * 86400 + 9 * 3600
        self.add_event(bad, uid, staff, t, "in", None)
        self.add_event(bad, uid, staff, t + 1500, "ut", "RAM-tid")
        self.details["ogiltigt-personnummer"] = [{"brukare_id": bad, "utforare_id": uid, "fynd": 2}]
        b = self.take()
        when = f"{w.period.label}-{w.days + 1:02d} 25:00"
        self.add_event(w.pnr[b], self._uid(int(w.utf[b])), self.new_staff(), when, "avbojt",
                       "RAM-tid")
        self.details["ogiltig-tidpunkt"] = [{"brukare": b, "tidpunkt": when}]
        b = self.take()
        self.add_event(w.pnr[b], "U99", self.new_staff(), t + 3600, "avbojt", "RAM-tid")
        self.details["okand-utforare"] = [{"brukare": b, "utforare_id": "U99"}]
        gap = dst_time(w.period)
        if gap is not None:  # a local time that does not exist or is ambiguous: only in a DST month
            b = self.take()
            self.add_event(w.pnr[b], self._uid(int(w.utf[b])), self.new_staff(), gap, "avbojt", "RAM-tid")
            self.details["tvetydig-tidpunkt"] = [{"brukare": b, "tidpunkt": gap}]
        self.details["besok-utan-insats"] = []
        for _ in range(PLANT["besok-utan-insats"]):  # an ut row without insatser, before the day's visits
            b, staff = self.take(), self.new_staff()
            t = int(rng.integers(1, w.days - 1)) * 86400 + 6 * 3600 + 600 + int(rng.integers(0, 600))
            pnr, uid = w.pnr[b], self._uid(int(w.utf[b]))
            self.add_event(pnr, uid, staff, t, "in", None)
            self.add_event(pnr, uid, staff, t + 1200, "ut", None)
            self.details["besok-utan-insats"].append(
                {"brukare": b, "utforare": int(w.utf[b]), "personal": staff, "tidpunkt_in": t,
                 "tidpunkt_ut": t + 1200})


def dst_time(period: Period) -> str | None:
    """A local time of the month that does not exist or occurs twice (02:30 on the day of a
    daylight-saving change), or None when the month has no change."""
    for d in range(period.days):
        t = datetime.combine(period.start + timedelta(days=d), datetime.min.time()) + timedelta(hours=2, minutes=30)
        if t.replace(tzinfo=ZONE, fold=0).utcoffset() != t.replace(tzinfo=ZONE, fold=1).utcoffset():
            return t.strftime("%Y-%m-%d %H:%M:%S")
    return None


def plant_file_errors(rng: np.random.Generator, period: Period, orders: pl.DataFrame,
                      upp: pl.DataFrame, pnr: str) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """Rows the reader rejects, appended to the order and uppehåll frames (all columns strings or
    as written): an order line repeated as is (dubbel-rad), an order line with minuter '12,5x'
    (ogiltigt-tal), an uppehåll of brukare `pnr` ending on {year}-02-30 (ogiltigt-datum)."""
    orders = orders.with_columns(pl.col("bestallning_id").cast(pl.String))
    i, j = (int(x) for x in rng.choice(orders.height, 2, replace=False))
    ids = orders["bestallning_id"]
    new_id = "B" + str(orders.height + 1).zfill(len(ids[0]) - 1)
    dup = orders.slice(i, 1)
    bad = orders.slice(j, 1).with_columns(pl.lit(new_id).alias("bestallning_id"),
                                          pl.lit("12,5x").alias("minuter"))
    orders = pl.concat([orders, dup, bad.cast(orders.schema)])
    till = f"{period.year}-02-30"
    row = pl.DataFrame({"brukare_id": [pnr], "fran": [str(period.start)], "till": [till],
                        "orsak": ["sjukhus"], "utforare_id": [None]}, schema=upp.schema)
    upp = pl.concat([upp, row])
    details = {"dubbel-rad": [{"bestallning_id": ids[i]}],
               "ogiltigt-tal": [{"bestallning_id": new_id, "minuter": "12,5x"}],
               "ogiltigt-datum": [{"brukare_id": pnr, "till": till}]}
    return orders, upp, details


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
    return _concat(blocks)


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


# ---------------------------------------------------------------- events

EVENT_CHUNK = 1_000_000  # rows of taggningar.csv built and written at a time (~0.2 GB)
EVENT_COLUMNS = ("brukare_id", "utforare_id", "personal_id", "tidpunkt", "typ", "metod", "insatser",
                 "roll", "korrigerad")


def _index_dtype(n: int) -> type:
    """int32 when it can index n rows (half the memory of int64), else int64."""
    return np.int32 if n < 2**31 else np.int64


def _visit_events(v: dict, dups: list[tuple[int, str]]) -> dict[str, np.ndarray]:
    """Tag events of the kept visits (in and ut rows, lone ends, swaps, avböjda, duplicates) in
    file-independent order, as three compact columns: `visit` (index into v), `typ` (0 in, 1 ut,
    2 avbojt) and `at_out` (the row's time is the visit's t_out: a swapped visit's in row has its
    t_out, its ut row its t_in). A ut row's manual flag is the visit's man_out, else man_in."""
    k = np.flatnonzero(v["keep"]).astype(_index_dtype(v["keep"].size))
    mode = v["mode"][k]
    parts = [
        (k[np.isin(mode, [MODE_PAIR, MODE_ONLY_IN])], 0, False),
        (k[mode == MODE_SWAPPED], 0, True),
        (k[np.isin(mode, [MODE_PAIR, MODE_ONLY_UT])], 1, True),
        (k[mode == MODE_SWAPPED], 1, False),
        (k[mode == MODE_AVBOJT], 2, False),
    ]
    parts += [(np.array([i], k.dtype), int(typ == "ut"), typ == "ut") for i, typ in dups]
    return {"visit": np.concatenate([i for i, _, _ in parts]),
            "typ": np.concatenate([np.full(i.size, typ, np.int8) for i, typ, _ in parts]),
            "at_out": np.concatenate([np.full(i.size, out) for i, _, out in parts])}


def staff_ids(planter: Planter) -> pl.Series:
    """`P1234`-style ids, numbered in a shuffled order."""
    numbers = 1000 + planter.rng.permutation(len(planter.roles))
    return pl.Series([f"P{k}" for k in numbers.tolist()], dtype=pl.String)


@dataclass
class EventText:
    """What the tag events are written with: the visits, their events and the id tables."""
    v: dict
    ev: dict[str, np.ndarray]
    start: datetime
    pnr: pl.Series
    utforare: pl.Series
    staff: pl.Series
    roles: pl.Series

    def rows(self, sel: np.ndarray) -> pl.DataFrame:
        """The events `sel` (indices into ev) as strings."""
        v, i, typ = self.v, self.ev["visit"][sel], self.ev["typ"][sel]
        t = np.where(self.ev["at_out"][sel], v["t_out"][i], v["t_in"][i])
        manual = np.where(typ == 1, v["man_out"][i], v["man_in"][i])
        insats = np.where(typ == 0, -1, v["insats"][i])
        staff = v["staff"][i]
        return pl.DataFrame({
            "brukare_id": self.pnr.gather(v["bru"][i]),
            "utforare_id": self.utforare.gather(v["utf"][i]),
            "personal_id": self.staff.gather(staff),
            "tidpunkt": t.astype(np.int64),
            "typ": pl.Series(["in", "ut", "avbojt"]).gather(typ),
            "metod": pl.Series(["tagg", "manuell"]).gather(manual.view(np.int8)),
            "insatser": pl.Series([None, *INSATSER], dtype=pl.String).gather(insats + 1),
            "roll": self.roles.gather(staff),
            "korrigerad": pl.Series(["nej", "ja"]).gather(v["korr"][i].view(np.int8)),
        }).with_columns(_fmt_time(self.start, "tidpunkt"))


def _extra_events(planter: Planter, start: datetime, staff: pl.Series) -> pl.DataFrame:
    """The planted events added one by one (row errors, extra visits) as strings."""
    return pl.DataFrame([
        {"brukare_id": e["bru"], "utforare_id": e["utf"], "personal_id": staff[e["staff"]],
         "tidpunkt": e["t"] if isinstance(e["t"], str) else _local(start, e["t"]),
         "typ": e["typ"], "metod": e["metod"], "insatser": e["insatser"],
         "roll": planter.roles[e["staff"]], "korrigerad": "nej"} for e in planter.extra
    ], schema={c: pl.String for c in EVENT_COLUMNS})


def _events_slice(text: EventText, extra: pl.DataFrame, src: np.ndarray) -> pl.DataFrame:
    """File rows whose events are `src` (indices into the visit events followed by the extra
    events): the visit events' rows with the few extra rows spliced in where they belong."""
    n_ev = text.ev["typ"].size
    own = src < n_ev
    df = text.rows(src[own])
    pieces, done = [], 0
    for k, at in enumerate(np.flatnonzero(~own).tolist()):  # k visit events' rows precede it
        pieces += [df.slice(done, at - k - done), extra.slice(int(src[at]) - n_ev, 1)]
        done = at - k
    return pl.concat([*pieces, df.slice(done)], rechunk=False) if pieces else df


def write_events(path: Path, v: dict, planter: Planter, w: World, staff: pl.Series) -> int:
    """taggningar.csv: all tag events as strings in a shuffled order, with handelse_id in file
    order, built and written EVENT_CHUNK rows at a time (as write_csv would write them all).
    Returns the number of rows."""
    start = datetime.combine(w.period.start, datetime.min.time())
    text = EventText(v, _visit_events(v, planter.dups), start,
                     pl.Series(w.pnr, dtype=pl.String), w.utforare["utforare_id"], staff,
                     pl.Series(planter.roles, dtype=pl.String))
    extra = _extra_events(planter, start, staff)
    total = text.ev["typ"].size + extra.height
    order = planter.rng.permutation(total).astype(_index_dtype(total))
    width = max(8, len(str(total)))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        for a in range(0, max(total, 1), EVENT_CHUNK):
            b = min(a + EVENT_CHUNK, total)
            ids = pl.int_range(a + 1, b + 1, eager=True).cast(pl.String).str.zfill(width)
            df = _events_slice(text, extra, order[a:b])
            df.select((pl.lit("H") + ids).alias("handelse_id"), pl.all()).write_csv(
                f, separator=";", include_bom=a == 0, include_header=a == 0)
            progress(f"Skriver taggningar ({b:,} av {total:,})".replace(",", " "), 0.6 + 0.37 * b / max(total, 1))
    return total


def _local(start: datetime, seconds: int) -> str:
    return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_time(start: datetime, col: str) -> pl.Expr:
    return (pl.lit(start) + pl.duration(seconds=pl.col(col))).dt.strftime(
        "%Y-%m-%d %H:%M:%S").alias(col)


# ---------------------------------------------------------------- frames to files

def _dates(start: date, days: np.ndarray) -> pl.Series:
    """Day indices (NULL: empty) as `YYYY-MM-DD`."""
    s = pl.Series(days.astype(np.int64))
    return pl.select(pl.when(s != NULL).then((pl.lit(start) + pl.duration(days=s))
                                             .dt.strftime("%Y-%m-%d"))).to_series()


def _minuter(m10: np.ndarray) -> list[str]:
    """Tenths of minutes with a decimal comma: 7458 -> '745,8', 6000 -> '600'."""
    return [f"{m // 10}" if m % 10 == 0 else f"{m // 10},{m % 10}" for m in m10.tolist()]


def orders_frame(rng: np.random.Generator, orders: dict, w: World) -> tuple[pl.DataFrame, np.ndarray]:
    """Order lines in a shuffled order with bestallning_id in file order; also each line's id."""
    n = orders["bru"].size
    perm = rng.permutation(n)
    width = max(6, len(str(n)))
    ids = np.array([f"B{i + 1:0{width}d}" for i in range(n)])
    row_id = np.empty(n, object)
    row_id[perm] = ids
    o = {key: value[perm] for key, value in orders.items()}
    start = w.period.start
    df = pl.DataFrame({
        "bestallning_id": ids,
        "brukare_id": pl.Series(w.pnr, dtype=pl.String).gather(o["bru"]),
        "utforare_id": w.utforare["utforare_id"].gather(o["utf"]),
        "insats": pl.Series(INSATSER).gather(o["insats"]),
        "minuter": _minuter(o["m10"]),
        "per": pl.Series(PER).gather(o["per"]),
        "giltig_fran": _dates(start, o["fran"]),
        "giltig_till": _dates(start, o["till"]),
        "verkstalld_fran": _dates(start, o["verk"]),
        "antal": pl.Series([None] * n, dtype=pl.String),
        "zon": np.where(w.landsbygd[o["bru"]], "landsbygd", "tätort"),
        "dubbelbemanning": np.where(o["dubbel"], "ja", "nej"),
    })
    return df, row_id


def uppehall_frame(upp: pl.DataFrame, w: World) -> pl.DataFrame:
    upp = upp.sort("fran", "b")
    return pl.DataFrame({
        "brukare_id": pl.Series(w.pnr, dtype=pl.String).gather(upp["b"]),
        "fran": _dates(w.period.start, upp["fran"].to_numpy()),
        "till": _dates(w.period.start, upp["till"].to_numpy()),
        "orsak": upp["orsak"],
        "utforare_id": pl.Series([None] * upp.height, dtype=pl.String),
    })


def plans_frame(plans: pl.DataFrame, w: World) -> pl.DataFrame:
    plans = plans.sort("d", "b")
    return pl.DataFrame({
        "brukare_id": pl.Series(w.pnr, dtype=pl.String).gather(plans["b"]),
        "utforare_id": w.utforare["utforare_id"].gather(plans["u"]),
        "godkand": _dates(w.period.start, plans["d"].to_numpy()),
    })


def write_csv(df: pl.DataFrame, path: Path) -> int:
    """Write `df` like a Swedish export (UTF-8 with BOM, `;`); returns its number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.write_csv(path, separator=";", include_bom=True)
    return df.height


# ---------------------------------------------------------------- facit

def _natthjalp(v: dict) -> np.ndarray:
    return v["keep"] & (v["mode"] == MODE_PAIR) & (v["day"] >= 0) & (v["insats"] == INS["Natthjälp"])


def count_findings(orders: dict, v: dict, details: dict) -> dict[str, int]:
    """Findings per code, as the run counts them."""
    n = {code: len(items) for code, items in details.items()}
    outside = sum(2 if x["vad"] == "besok" else 1 for x in details["utanfor-perioden"])
    not_lov = np.isin(orders["insats"], [INS["Natthjälp"], INS["Tillsyn (digital)"]])
    counts = {code: n[code] for code in (
        "dubbel-handelse", "saknar-utcheckning", "saknar-incheckning", "kort-besok",
        "langt-besok", "saknar-tagg", "besok-utan-bestallning", "insats-ej-i-bestallning",
        "besok-under-uppehall", "avbojt-besok", "ogiltigt-personnummer", "ogiltig-tidpunkt",
        "okand-utforare", "genomforandeplan-redan-ersatt", "besok-utan-insats")}
    counts.update({code: n[code] for code in ("tvetydig-tidpunkt", *FILE_ERRORS) if code in n})
    counts.update({
        "ut-fore-in": 2 * n["ut-fore-in"],
        "insats-utan-regel": n["insats-ej-i-bestallning"],
        "insats-ej-i-lov": int(_natthjalp(v).sum()),
        "utanfor-perioden": outside + int((orders["tag"] == 1).sum()),
        "ogiltigt-personnummer": 2 * n["ogiltigt-personnummer"],
        "ej-verkstalld": int((orders["verk"] == NULL).sum()),
        "bestallning-ej-i-lov": int(not_lov.sum()),
    })
    return dict(sorted(counts.items()))


def visit_stats(v: dict, details: dict) -> dict[str, int]:
    """Paired visits with check-in in the month (accepted rows), counted ones, clean ones."""
    in_month = v["keep"] & (v["mode"] == MODE_PAIR) & (v["day"] >= 0)
    extra = {c: len(details[c]) for c in ("langt-besok", "besok-utan-bestallning", "over-midnatt",
                                          "besok-utan-insats")}
    total = int(in_month.sum()) + sum(extra.values())
    flagged = int((in_month & v["finding"]).sum()) + int(_natthjalp(v).sum()) + extra[
        "langt-besok"] + extra["besok-utan-bestallning"] + extra["besok-utan-insats"]
    not_counted = len(details["kort-besok"]) + len(details["saknar-tagg"]) + extra["besok-utan-insats"]
    return {"in_month": total, "valid": total - not_counted, "without_findings": total - flagged}


def ramtid_share(orders: dict, v: dict, w: World) -> float:
    """Utförd RAM-tid over beviljad tid LOV (uppehåll excluded) of the month."""
    o = np.flatnonzero((orders["insats"] == INS["RAM-tid"]) & (orders["verk"] != NULL))
    lo = np.maximum(orders["verk"][o], 0)
    till = np.where(orders["till"][o] == NULL, w.days - 1, orders["till"][o])
    days = np.arange(w.days)
    active = (days >= lo[:, None]) & (days <= till[:, None]) & ~w.upp[orders["bru"][o], 1:]
    per_day = np.where(orders["per"][o] == 1, orders["m10"][o] / 70, orders["m10"][o] / 10 / w.days)
    beviljad = float((active.sum(axis=1) * per_day).sum())
    ram = np.isin(v["slot"], RAMTID_SLOTS)
    done = v["keep"] & (v["mode"] == MODE_PAIR) & (v["day"] >= 0) & ~v["upp_day"] & ram
    return round(float((v["t_out"][done] - v["t_in"][done]).sum()) / 60 / beviljad, 3)


def readable(details: dict, w: World, staff: pl.Series) -> dict:
    """Planted cases with ids and local times instead of indices."""
    start = datetime.combine(w.period.start, datetime.min.time())
    names = {"brukare": ("brukare_id", lambda x: w.pnr[x]),
             "utforare": ("utforare_id", lambda x: w.utforare["utforare_id"][x]),
             "personal": ("personal_id", lambda x: staff[x]),
             "godkand": ("godkand", lambda x: str(w.period.start + timedelta(days=int(x))))}

    def value(key: str, x):
        if key.startswith("tidpunkt") and not isinstance(x, str):
            return key, _local(start, x)
        return (names[key][0], names[key][1](x)) if key in names else (key, x)

    return {code: [dict(value(k, x) for k, x in item.items()) for item in items]
            for code, items in details.items()}


def order_details(orders: dict, w: World, order_ids: np.ndarray) -> dict[str, list]:
    """Planted order findings with their bestallning_id."""
    def rows(sel: np.ndarray, **extra) -> list[dict]:
        return [{"bestallning_id": order_ids[i], "brukare_id": w.pnr[orders["bru"][i]],
                 "insats": INSATSER[orders["insats"][i]], **extra} for i in np.flatnonzero(sel)]
    not_lov = np.isin(orders["insats"], [INS["Natthjälp"], INS["Tillsyn (digital)"]])
    return {"utanfor-perioden": rows(orders["tag"] == 1, vad="bestallning"),
            "ej-verkstalld": rows(orders["verk"] == NULL),
            "bestallning-ej-i-lov": rows(not_lov)}


def natthjalp_details(v: dict, w: World) -> list[dict]:
    b, k = np.unique(v["bru"][_natthjalp(v)], return_counts=True)
    return [{"brukare_id": w.pnr[i], "besok": int(c)} for i, c in zip(b.tolist(), k.tolist())]


# ---------------------------------------------------------------- entry point

def generate(month: str, out_dir: Path | str, *, n_brukare: int = 300, seed: int = 2023,
             model: str = "norrkoping") -> dict:
    """Write a synthetic month of `model` (one of MODELS, each matching config/<model>.yaml) under
    `out_dir`; return its facit (also written as facit.json). Norrköping is built here, the other
    models in generate_models."""
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of {', '.join(MODELS)}")
    if n_brukare < MIN_BRUKARE:
        raise ValueError(f"n_brukare must be at least {MIN_BRUKARE}")
    if model != "norrkoping":
        from .generate_models import generate_model

        return generate_model(model, month, out_dir, n_brukare=n_brukare, seed=seed)
    from . import generate_followup as fu

    period, out_dir = Period.parse(month), Path(out_dir)
    rng_base = np.random.default_rng([seed, n_brukare])
    rng = np.random.default_rng([seed, n_brukare, period.year, period.month])
    progress("Skapar brukare och utförare", 0.0)
    w = make_world(rng_base, rng, period, n_brukare)
    plan = fu.make_plan(rng_base, w)
    fu.fix_world(plan, w)
    upp = make_uppehall(rng, w)
    andel = fu.andel(rng, w, plan)
    orders = _concat([ramtid_orders(rng, w, andel), s_orders(rng, w, andel),
                      other_orders(rng, w, andel)])
    progress("Skapar besök", 0.15)
    visits, n_staff = expand_visits(rng, make_streams(orders, w), w)
    progress("Planterar avvikelser", 0.35)
    planter = Planter(rng, w, visits, orders, n_staff)
    planter.plant_modified()
    planter.plant_outside()
    planter.plant_extra()
    planter.plant_row_errors()
    orders = _concat([orders, plant_orders(rng, w, planter)])
    progress("Kalibrerar utförd tid", 0.45)
    n_declined = fu.decline(planter, plan)
    fu.calibrate(planter, orders, andel)
    n_manual = fu.register_by_hand(planter, plan)
    plans = make_plans(rng, w, planter)
    staff = staff_ids(planter)
    order_df, order_ids = orders_frame(rng, orders, w)
    order_df, upp_df, file_errors = plant_file_errors(rng, period, order_df, uppehall_frame(upp, w),
                                                      w.pnr[planter.take()])
    planter.details.update(file_errors)
    month_dir = out_dir / period.label
    rows = {"utforare.csv": write_csv(w.utforare, out_dir / "utforare.csv"),
            "bestallningar.csv": write_csv(order_df, month_dir / "bestallningar.csv")}
    del order_df
    rows["uppehall.csv"] = write_csv(upp_df, month_dir / "uppehall.csv")
    progress("Skriver taggningar", 0.6)
    rows["taggningar.csv"] = write_events(month_dir / "taggningar.csv", visits, planter, w, staff)
    progress("Skriver facit", 0.97)
    rows["genomforandeplaner.csv"] = write_csv(plans_frame(plans, w),
                                               month_dir / "genomforandeplaner.csv")
    facit = build_facit(w, rows, upp, visits, planter, orders, order_ids, staff, seed)
    if plan.pos is not None:
        facit["uppfoljning_manad"] = fu.facit_month(plan, w, andel, n_declined, n_manual)
        if plan.pos == len(fu.WINDOW) - 1:
            facit["uppfoljning"] = fu.facit_window(plan, w)
    (out_dir / period.label / "facit.json").write_text(
        json.dumps(facit, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return facit


def build_facit(w: World, rows: dict[str, int], upp: pl.DataFrame, visits: dict, planter: Planter,
                orders: dict, order_ids: np.ndarray, staff: pl.Series, seed: int) -> dict:
    planted = readable(planter.details, w, staff)
    for code, found in order_details(orders, w, order_ids).items():
        planted[code] = planted.get(code, []) + found
    planted["insats-ej-i-lov"] = natthjalp_details(visits, w)
    planted["giltiga-korrigerade-manuella"] = planted.pop("korrigerad-manuell")
    planted["giltigt-over-midnatt"] = planted.pop("over-midnatt")
    return {
        "month": w.period.label, "seed": seed, "brukare": w.n, "utforare": w.utforare.height,
        "rows": rows,
        "landsbygd_brukare": int(w.landsbygd.sum()),
        "new_brukare_with_plan": int((w.kind == 1).sum()),
        "new_brukare_not_verkstalld": int((w.kind == 2).sum()),
        "uppehall_rows": upp.height,
        "visits": visit_stats(visits, planter.details),
        "ramtid_utford_andel": ramtid_share(orders, visits, w),
        "avvikelser": count_findings(orders, visits, planter.details),
        "planted": dict(sorted(planted.items())),
    }


def _size(text: str) -> int:
    """`--brukare`: a number or a name from SIZES."""
    if text in SIZES:
        return SIZES[text]
    if text.isdigit() and int(text) >= MIN_BRUKARE:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"ange ett antal (minst {MIN_BRUKARE}) eller en storlek: {', '.join(SIZES)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lovkorning.generate",
                                     description="Skriver en syntetisk LOV-månad med facit.")
    parser.add_argument("month", help="månad, ÅÅÅÅ-MM")
    parser.add_argument("--model", choices=MODELS, default="norrkoping",
                        help="ersättningsmodell (som config/<modell>.yaml); standard norrkoping")
    parser.add_argument("--dir", type=Path, default=None,
                        help="utdatamapp; standard sample_data (norrkoping) eller sample_data/<modell>")
    parser.add_argument("--brukare", type=_size, default=300,
                        help=f"antal brukare eller en storlek: {', '.join(SIZES)}")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)
    try:
        Period.parse(args.month)
    except ValueError as e:
        parser.error(str(e))
    out = args.dir or (Path("sample_data") if args.model == "norrkoping" else Path("sample_data") / args.model)
    facit = generate(args.month, out, n_brukare=args.brukare, seed=args.seed, model=args.model)
    rows = ", ".join(f"{name}: {count}" for name, count in facit["rows"].items())
    print(f"Skrev {facit['month']} ({args.model}) i {out}: {facit['brukare']} brukare; rader {rows}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
