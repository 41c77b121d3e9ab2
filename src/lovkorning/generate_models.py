"""Synthetic months for Norrtälje (KSON, seed 003) and Österåker (seed 004, the current model and
the proposed per-insats model), with planted avvikelser and a facit.

`lovkorning.generate.generate(..., model=...)` calls `generate_model` here for every model but
Norrköping. A month is built explicitly, brukare by brukare and day by day (a few hundred brukare
make a few tens of thousands of visits, quick in plain Python):

1. the world: utförare (all private), brukare with zon, profile, start and end, uppehåll;
2. routines per brukare (which insatser, when, how long); the orders follow from them;
3. visit requests per brukare and day, placed so that a brukare never has two visits at once,
   then staffed from per-utförare pools so that no staff member is at two brukare at once;
4. planted avvikelser, each adding what the run must report to `Month.expected`;
5. a self-check that recounts overlaps of staff and brukare from the finished visits, then the
   files (UTF-8 with BOM, `;`, decimal comma, local times) and facit.json.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from .core.period import Period

MODELS = ("norrtalje", "osteraker", "osteraker-insats")
DAY = 86_400
MIN = 60
TRAVEL = 5 * MIN          # a staff member's least gap between two brukare
BRUKARE_GAP = 10 * MIN    # least gap between two visits at one brukare
WINDOW = (7 * 3600, 22 * 3600 + 30 * MIN)   # Österåker's paid window, 07:00–22:30
MAX_SEK = 480 * MIN       # visits.max_minutes of the configs


def clock(text: str) -> int:
    """'07:30' -> seconds after midnight."""
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * MIN


# ---------------------------------------------------------------- the municipalities

@dataclass(frozen=True)
class Kommun:
    key: int
    names: tuple[str, ...]
    weights: tuple[float, ...]
    zoner: tuple[tuple[str, float], ...]
    payer_bankgiro: str   # digits; no utförare may have it


KOMMUNER = {
    "norrtalje": Kommun(
        3, ("Roslagens Omsorg AB", "Skärgårdens Hemtjänst i Norrtälje AB", "Rimbo Vård och Omsorg AB",
            "Hallstaviks Hemtjänst AB", "Vårdgruppen Norrtälje Stad AB"),
        (0.30, 0.22, 0.20, 0.16, 0.12), (("tätort", 0.55), ("landsbygd", 0.30), ("skärgård", 0.15)),
        "5500129"),
    "osteraker": Kommun(
        4, ("Åkersberga Hemtjänst AB", "Ljusterö Omsorg AB", "Trygga Hem i Österåker AB",
            "Roslagskustens Vård AB", "Margretelunds Omsorg AB", "Täljö Hemtjänst AB"),
        (0.26, 0.12, 0.20, 0.16, 0.14, 0.12), (("tätort", 0.65), ("landsbygd", 0.25), ("glesbygd", 0.10)),
        "5512348"),
}
KOMMUN_OF = {"norrtalje": "norrtalje", "osteraker": "osteraker", "osteraker-insats": "osteraker"}
MODEL_KEY = {"norrtalje": 3, "osteraker": 4, "osteraker-insats": 5}
ROLES = {"omsorg": (("usk", "vardbitrade"), (0.55, 0.45)),
         "ssk": (("sjukskoterska", "distriktsskoterska"), (0.6, 0.4)),
         "rehab": (("fysioterapeut", "arbetsterapeut"), (0.5, 0.5))}
OMSORG = ("Dusch", "Morgonhjälp", "Kvällshjälp", "Förflyttning", "Toalettbesök", "Måltidsstöd", "Tillsyn")
SERVICE = ("Städning", "Tvätt", "Inköp", "Ärenden")
HSL = ("Ögondroppar", "Läkemedel", "Omläggning", "Stödstrumpor")
SCHABLON = {"Personlig omvårdnad": 30, "Dusch": 45, "Städning": 90, "Tvätt": 60, "Inköp": 60, "Måltid": 20,
            "Tillsyn": 10, "Ledsagning": 60}   # minutes, as in config/osteraker-insats.yaml


def make_register(rng: np.random.Generator, k: Kommun) -> pl.DataFrame:
    from .generate import _bankgiro, _orgnr

    bankgiros: list[str] = []
    while len(bankgiros) < len(k.names):
        bg = _bankgiro(rng)
        if bg not in bankgiros and bg.replace("-", "") != k.payer_bankgiro:
            bankgiros.append(bg)
    n = len(k.names)
    return pl.DataFrame({
        "utforare_id": [f"U{i + 1:02d}" for i in range(n)], "namn": list(k.names), "regi": ["privat"] * n,
        "orgnr": [_orgnr(rng, "556") for _ in range(n)], "bankgiro": bankgiros, "flaggor": [None] * n,
    }, schema={c: pl.String for c in ("utforare_id", "namn", "regi", "orgnr", "bankgiro", "flaggor")})


# ---------------------------------------------------------------- the month's parts

@dataclass
class Routine:
    """A recurring visit: its insatser with granted minutes, when, and what follows it."""
    parts: tuple[tuple[str, float], ...]   # (insats, granted minutes per visit)
    pref: int                              # preferred start, seconds after midnight
    freq: str = "dag"                      # dag | vecka | varannan | manad
    mask: int = 127                        # weekdays (bit 0 = Monday) for vecka and varannan
    parity: int = 0                        # varannan: ISO week parity
    days: frozenset[int] = frozenset()     # manad: day indices of the month
    extra: tuple[tuple[int, str, float], ...] = ()   # (weekday mask, insats, minutes) added those days
    hsl: tuple[tuple[str, float, int], ...] = ()     # delegated HSL registered right after
    kind: str = "bistand"                  # bistand | hsl | larm | hembesok
    pool: str = "omsorg"                   # omsorg | ssk | rehab
    staff: int = 1                         # 2: dubbelbemanning
    spread: int = 15 * MIN                 # jitter of the start


@dataclass
class Brukare:
    pnr: str
    utf: int
    zon: str
    profile: str
    fran: int                      # first order day (index from the 1st; negative: before the month)
    verk: int | None               # verkställd from (None: not verkställd)
    till: int | None               # last order day (None: open-ended)
    share: float = 1.0             # performed / granted time
    upp: set[int] = field(default_factory=set)
    byte: tuple[int, int] | None = None   # (new utförare, first day there)
    routines: list[Routine] = field(default_factory=list)
    larm: float = 0.0              # Norrtälje: call-outs per day


@dataclass
class Order:
    bru: int
    utf: int
    insats: str
    milli: int                     # minutes × 1000
    per: str
    fran: int
    till: int | None
    verk: int | None
    antal: int | None = None
    dubbel: bool = False


@dataclass
class Req:
    bru: int
    utf: int
    day: int
    pref: int                      # seconds from the 1st, 00:00
    parts: list[tuple[int, int, tuple[str, ...], str]]   # (gap before, seconds, insatser, kind)
    pool: str = "omsorg"
    staff: int = 1
    fresh: bool = False            # staffed by a new person of its own (planted cases)
    start: int = 0


@dataclass
class Visit:
    bru: int
    utf: int
    staff: int
    day: int
    t_in: int
    t_out: int
    insatser: tuple[str, ...]
    kind: str = "bistand"
    plain: bool = True             # may carry a planted case
    man_in: bool = False
    man_out: bool = False
    korr: bool = False
    mode: str = "pair"             # pair | only_in | only_ut | avbojt | gone
    dup: str | None = None
    follow: bool = False           # the second registration right after a bistånd visit


# ---------------------------------------------------------------- the month

class Month:
    def __init__(self, model: str, period: Period, n: int, seed: int):
        self.model, self.period, self.n, self.seed = model, period, n, seed
        kommun = KOMMUNER[KOMMUN_OF[model]]
        base = np.random.default_rng([seed, n, kommun.key])
        self.rng = np.random.default_rng([seed, n, period.year, period.month, MODEL_KEY[model]])
        from .generate import make_personnummer

        self.utforare = make_register(base, kommun)
        self.pnr = make_personnummer(base, n)
        weights = np.array(kommun.weights)
        self.home = base.choice(len(kommun.names), n, p=weights / weights.sum())
        zoner = [z for z, _ in kommun.zoner]
        self.zoner = zoner
        self.zon = base.choice(len(zoner), n, p=[p for _, p in kommun.zoner])
        self.days = period.days
        self.bru: list[Brukare] = []
        self.orders: list[Order] = []
        self.uppehall: list[tuple[int, int, int, str]] = []
        self.overtid: list[tuple[int, int, int]] = []
        self.visits: list[Visit] = []
        self.roles: list[str] = []
        self.pools: dict[tuple, list[int]] = defaultdict(list)
        self.free: list[int] = []
        self.cancel = 0.0             # share of routine bistånd visits that do not happen
        self.split_day: dict[int, int] = {}
        self.edges: dict[str, set[int]] = {"early": set(), "late": set(), "night": set()}
        self.expected: Counter = Counter()
        self.details: dict[str, list] = defaultdict(list)
        self.used: set[int] = set()   # brukare carrying a planted case
        self.special: set[int] = set()   # brukare not to plant on (dubbelbemanning, byte …)

    # -- calendar
    def weekday(self, d: int) -> int:
        return (self.period.start + timedelta(days=d)).weekday()

    def isoweek(self, d: int) -> int:
        return (self.period.start + timedelta(days=d)).isocalendar().week

    def on(self, r: Routine, d: int) -> bool:
        if r.freq == "manad":
            return d in r.days
        if not (r.mask >> self.weekday(d)) & 1:
            return False
        return r.freq != "varannan" or self.isoweek(d) % 2 == r.parity

    def weekdays(self, k: int) -> int:
        """A mask of k distinct weekdays (Monday–Friday first)."""
        days = self.rng.permutation(5)[:k] if k <= 5 else np.arange(k)
        return int(sum(1 << int(x) for x in days))

    def month_days(self, k: int, weekdays_only: bool = True) -> frozenset[int]:
        pool = [d for d in range(1, self.days - 1) if not weekdays_only or self.weekday(d) < 5]
        return frozenset(int(x) for x in self.rng.choice(pool, k, replace=False))

    # -- world
    def make_brukare(self, profiles: dict[str, float], share: tuple[float, float]) -> None:
        rng, n, days = self.rng, self.n, self.days
        names = list(profiles)
        prof = rng.choice(len(names), n, p=list(profiles.values()))
        kind = np.zeros(n, np.int64)
        order = rng.permutation(n)
        n_new, n_end = max(4, round(0.05 * n)), max(3, round(0.03 * n))
        kind[order[:n_new]] = 1
        kind[order[n_new:n_new + n_end]] = 2
        for b in range(n):
            fran = -int(rng.integers(30, 2500))
            verk, till = fran + int(rng.integers(0, 6)), None
            if kind[b] == 1:
                fran = int(rng.integers(2, days - 8))
                verk = fran + int(rng.choice([0, 0, 1, 2]))
            elif kind[b] == 2:
                till = int(rng.integers(6, days - 6))
            elif rng.random() < 0.15:
                till = days + int(rng.integers(20, 300))
            self.bru.append(Brukare(self.pnr[b], int(self.home[b]), self.zoner[self.zon[b]], names[prof[b]],
                                    fran, verk, till, float(rng.uniform(*share))))
        self.special |= {b for b in range(n) if kind[b]}

    def make_uppehall(self) -> None:
        rng = self.rng
        pool = [b for b, x in enumerate(self.bru) if x.fran < 0 and (x.till is None or x.till >= self.days)]
        who = sorted(rng.choice(pool, max(3, round(0.05 * self.n)), replace=False).tolist())
        for b in who:
            length = int(rng.integers(2, 13))
            f = int(rng.integers(-3, self.days - 3))
            t = f + length - 1
            orsak = str(rng.choice(["sjukhus", "korttidsboende", "avbojt"], p=[0.6, 0.25, 0.15]))
            self.uppehall.append((b, f, t, orsak))
            self.bru[b].upp |= set(range(max(f, 0), min(t, self.days - 1) + 1))
        self.special |= set(who)

    def active_days(self, b: int) -> range:
        x = self.bru[b]
        if x.verk is None:
            return range(0)
        last = self.days - 1 if x.till is None else min(x.till, self.days - 1)
        return range(max(x.verk, 0), last + 1)

    def utf_on(self, b: int, d: int) -> int:
        x = self.bru[b]
        return x.byte[0] if x.byte and d >= x.byte[1] else x.utf

    # -- orders from routines
    def orders_from_routines(self, b: int, antal: bool = False) -> None:
        """One order line per insats: granted minutes per period, and for the per-insats model
        the number of times per period (antal) with minutes = antal × schablon."""
        x = self.bru[b]
        per: dict[str, str] = {}
        minutes: Counter = Counter()
        count: Counter = Counter()
        for r in x.routines:
            if r.kind != "bistand":
                continue
            per_r, times = {"dag": ("dag", 1), "vecka": ("vecka", bin(r.mask).count("1")),
                            "varannan": ("manad", 2), "manad": ("manad", len(r.days))}[r.freq]
            for insats, m in r.parts:
                per[insats] = per_r
                minutes[insats] += m * times
                count[insats] += times
            for mask, insats, m in r.extra:
                per[insats] = "vecka"
                minutes[insats] += m * bin(mask).count("1")
                count[insats] += bin(mask).count("1")
        for insats in per:
            milli = int(round(minutes[insats] * 1000))
            if antal:
                milli = count[insats] * SCHABLON[insats] * 1000
            self.add_order(b, insats, milli, per[insats], count[insats] if antal else None)

    def add_order(self, b: int, insats: str, milli: int, per: str, antal: int | None = None,
                  dubbel: bool = False) -> None:
        x = self.bru[b]
        if x.byte is None:
            self.orders.append(Order(b, x.utf, insats, milli, per, x.fran, x.till, x.verk, antal, dubbel))
            return
        new, first = x.byte
        self.orders.append(Order(b, x.utf, insats, milli, per, x.fran, first - 1, x.verk, antal, dubbel))
        self.orders.append(Order(b, new, insats, milli, per, first, x.till, first, antal, dubbel))

    # -- visit requests
    def requests(self, adhoc) -> list[Req]:
        rng, reqs = self.rng, []
        for b, x in enumerate(self.bru):
            for d in self.active_days(b):
                if d in x.upp:
                    continue
                u = self.utf_on(b, d)
                for r in x.routines:
                    if self.on(r, d) and not (r.kind == "bistand" and rng.random() < self.cancel):
                        reqs.append(self.request(b, u, d, r))
                reqs += adhoc(self, b, d, u)
        return reqs

    def request(self, b: int, u: int, d: int, r: Routine) -> Req:
        rng, x = self.rng, self.bru[b]
        wd = self.weekday(d)
        parts = list(r.parts) + [(i, m) for mask, i, m in r.extra if (mask >> wd) & 1]
        share = x.share if r.kind == "bistand" else 1.0
        secs = max(4 * MIN, int(sum(m for _, m in parts) * MIN * share * rng.uniform(0.85, 1.15)))
        out = [(0, secs, tuple(i for i, _ in parts), r.kind)]
        hsl = [(i, m) for i, m, mask in r.hsl if (mask >> wd) & 1]
        if hsl:
            hs = max(3 * MIN, int(sum(m for _, m in hsl) * MIN * rng.uniform(0.8, 1.3)))
            out.append((int(rng.integers(10, 41)), hs, tuple(i for i, _ in hsl), "hsl"))
        pref = d * DAY + r.pref + int(rng.integers(0, r.spread + 1))
        return Req(b, u, d, pref, out, r.pool, r.staff)

    def req(self, b: int, u: int, d: int, at: int, minutes: float, insatser: tuple[str, ...], kind: str) -> Req:
        """A visit outside the routines (a call-out, an extra registration), to the second."""
        secs = int(minutes * MIN * self.rng.uniform(0.9, 1.1))
        return Req(b, u, d, d * DAY + at + int(self.rng.integers(0, 60)), [(0, secs, insatser, kind)])

    # -- placing and staffing
    def place(self, reqs: list[Req]) -> None:
        """Brukare by brukare in time order: each visit starts after the previous one ended."""
        last: dict[int, int] = defaultdict(lambda: -DAY)
        for seq, r in sorted(enumerate(reqs), key=lambda p: (p[1].bru, p[1].pref, p[0])):
            r.start = max(r.pref, last[r.bru] + BRUKARE_GAP)
            last[r.bru] = r.start + sum(g + s for g, s, _, _ in r.parts)
        self.staff_all(sorted(reqs, key=lambda r: (r.start, r.bru)))

    def hire(self, pool: str) -> int:
        names, p = ROLES["omsorg" if pool == "extra" else pool]
        self.roles.append(str(self.rng.choice(names, p=p)))
        self.free.append(-DAY)
        return len(self.roles) - 1

    def shift(self, t: int) -> str:
        s = t % DAY
        return "dag" if clock("06:30") <= s < clock("14:30") else "kvall" if clock("14:30") <= s < WINDOW[1] else "natt"

    def pick_staff(self, r: Req, taken: set[int]) -> int:
        if r.fresh:
            return self.hire("extra")
        key = (r.utf, r.pool, self.shift(r.start))
        for s in self.pools[key]:
            if s not in taken and self.free[s] + TRAVEL <= r.start:
                return s
        s = self.hire(r.pool)
        self.pools[key].append(s)
        return s

    def staff_all(self, reqs: list[Req]) -> None:
        rng = self.rng
        for r in reqs:
            s = self.pick_staff(r, set())
            t = r.start
            lead = len(r.parts) > 1
            for i, (gap, secs, insatser, kind) in enumerate(r.parts):
                t += gap
                v = Visit(r.bru, r.utf, s, r.day, t, t + secs, insatser, kind,
                          plain=not lead and r.staff == 1 and not r.fresh, follow=i > 0)
                if v.plain and rng.random() < 0.08:   # one of the two taggings made by hand
                    v.man_in, v.man_out = (True, False) if rng.random() < 0.5 else (False, True)
                self.visits.append(v)
                t += secs
            self.free[s] = t
            if r.staff > 1:   # the second of two staff: arrives a little later, leaves a little earlier
                s2 = self.pick_staff(r, {s})
                _, secs, insatser, kind = r.parts[0]
                a, z = r.start + int(rng.integers(20, 91)), r.start + secs - int(rng.integers(10, 61))
                self.visits.append(Visit(r.bru, r.utf, s2, r.day, a, z, insatser, kind, plain=False))
                self.free[s2] = z

    # -- planting helpers
    def candidates(self, min_secs: int = 6 * MIN, where=None) -> list[int]:
        """Plain bistånd visits (no second registration, one staff, taggings by tag) of brukare
        without other planted or special cases, inside the month's inner days."""
        days = range(1, self.days - 1)
        return [i for i, v in enumerate(self.visits)
                if v.plain and v.kind == "bistand" and v.mode == "pair" and v.day in days and v.bru not in self.used
                and v.bru not in self.special and v.t_out - v.t_in >= min_secs and not v.man_in and not v.man_out
                and (where is None or where(v))]

    def take(self, min_secs: int = 6 * MIN, where=None) -> int:
        c = self.candidates(min_secs, where)
        i = int(c[int(self.rng.integers(0, len(c)))])
        self.used.add(self.visits[i].bru)
        self.visits[i].plain = False
        return i

    def note(self, code: str, i: int, **extra) -> None:
        v = self.visits[i]
        self.details[code].append({"brukare": v.bru, "utforare": v.utf, "personal": v.staff,
                                   "tidpunkt_in": v.t_in, "tidpunkt_ut": v.t_out, **extra})

    def plant_general(self, plan: dict[str, int]) -> None:
        """The findings every time system produces, one brukare each."""
        rng = self.rng
        for k in range(plan.get("dubbel-handelse", 0)):
            i = self.take()
            self.visits[i].dup = "in" if k % 2 == 0 else "ut"
            self.note("dubbel-handelse", i, typ=self.visits[i].dup)
        for code, mode in (("saknar-utcheckning", "only_in"), ("saknar-incheckning", "only_ut"),
                           ("avbojt-besok", "avbojt")):
            for _ in range(plan.get(code, 0)):
                i = self.take()
                self.visits[i].mode = mode
                self.note(code, i)
        for _ in range(plan.get("kort-besok", 0)):
            i = self.take()
            v = self.visits[i]
            v.t_out = v.t_in + int(rng.integers(15, 51))
            self.note("kort-besok", i)
        for code, korr in (("saknar-tagg", False), ("korrigerad-manuell", True)):
            for _ in range(plan.get(code, 0)):
                i = self.take()
                v = self.visits[i]
                v.man_in = v.man_out = True
                v.korr = korr
                self.note(code, i)
        for code in ("dubbel-handelse", "saknar-utcheckning", "saknar-incheckning", "avbojt-besok",
                     "kort-besok", "saknar-tagg"):
            self.expected[code] += plan.get(code, 0)

    def plant_double_staff_missing(self, k: int) -> None:
        """A second staff member at the brukare during a visit, without dubbelbemanning ordered."""
        rng = self.rng
        for _ in range(k):
            i = self.take(min_secs=20 * MIN)
            v = self.visits[i]
            s = self.hire("extra")
            a = v.t_in + int(rng.integers(3, 8)) * MIN
            z = v.t_out - int(rng.integers(2, 5)) * MIN
            self.visits.append(Visit(v.bru, v.utf, s, v.day, a, z, v.insatser, plain=False))
            self.note("dubbelbemanning-saknas", len(self.visits) - 1, samtidigt_med=v.staff)
            self.expected["dubbelbemanning-saknas"] += 1

    def plant_simultaneous(self, k: int) -> None:
        """A staff member checks in at the next brukare before checking out at this one."""
        rng, by_staff = self.rng, defaultdict(list)
        for i, v in enumerate(self.visits):
            if v.mode == "pair":
                by_staff[v.staff].append(i)
        pairs = []
        for idx in by_staff.values():
            idx.sort(key=lambda i: self.visits[i].t_in)
            for x, y in zip(idx, idx[1:]):
                vx, vy = self.visits[x], self.visits[y]
                if vx.bru != vy.bru and vx.day == vy.day and vy.t_out - vy.t_in > 10 * MIN:
                    pairs.append((x, y))
        done, plain = 0, set(self.candidates())
        for j in rng.permutation(len(pairs)).tolist():
            x, y = pairs[j]
            vx, vy = self.visits[x], self.visits[y]
            if x not in plain or vx.bru in self.used or vy.bru in self.used:
                continue
            new_out = vy.t_in + int(rng.integers(2, 7)) * MIN
            if any(w.bru == vx.bru and w is not vx and w.mode != "gone" and vx.t_in < w.t_in < new_out + BRUKARE_GAP
                   for w in self.visits):
                continue
            vx.t_out = new_out
            vx.plain = vy.plain = False
            self.used |= {vx.bru, vy.bru}
            self.note("samtidiga-besok", x, nasta_brukare=vy.bru, tidpunkt_nasta_in=vy.t_in)
            self.expected["samtidiga-besok"] += 1
            done += 1
            if done == k:
                return
        raise RuntimeError("no place for samtidiga-besok")

    # -- self-check
    def valid_visits(self) -> list[Visit]:
        return [v for v in self.visits if v.mode == "pair" and v.t_out - v.t_in >= MIN
                and (not (v.man_in and v.man_out) or v.korr)]

    def recount_overlaps(self, dubbel_ok: set[int]) -> tuple[Counter, dict[int, tuple[int, int]]]:
        """samtidiga-besok and dubbelbemanning-saknas as the contract defines them, and each valid
        visit's effective (counted) start and end."""
        c: Counter = Counter()
        valid = self.valid_visits()
        eff = {id(v): (v.t_in, v.t_out) for v in valid}
        by_staff = defaultdict(list)
        for v in valid:
            by_staff[v.staff].append(v)
        for vs in by_staff.values():
            vs.sort(key=lambda v: v.t_in)
            for a, b in zip(vs, vs[1:]):
                if b.t_in < a.t_out:
                    c["samtidiga-besok"] += 1
                    eff[id(a)] = (a.t_in, b.t_in)
        by_bru = defaultdict(list)
        for v in valid:
            by_bru[(v.utf, v.bru)].append(v)
        for (u, b), vs in by_bru.items():
            vs.sort(key=lambda v: v.t_in)
            prev = None
            for v in vs:
                a, z = eff[id(v)]
                if prev is not None and prev > a and b not in dubbel_ok:
                    c["dubbelbemanning-saknas"] += 1
                    eff[id(v)] = (min(prev, z), z)
                prev = z if prev is None else max(prev, z)
        return c, eff


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
        _service_routines(m, b, {"Städning": "Städning", "Tvätt": "Tvätt", "Inköp": "Inköp", "Ärenden": "Ärenden"})
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


def _service_routines(m: Month, b: int, names: dict[str, str], *, weekly_stad: float = 0.0) -> None:
    """Städning (every other week, or weekly), Tvätt, Inköp (weekly), Ärenden / Ledsagning (monthly)."""
    rng, R = m.rng, m.bru[b].routines
    day = m.weekdays(1)
    pref = clock("09:30") + int(rng.integers(0, 240)) * MIN
    parity = int(rng.integers(0, 2))
    stad = ("Städning", float(rng.choice([45, 60, 60, 90])))
    if rng.random() < weekly_stad:
        R.append(Routine((("Städning", float(rng.choice([30, 45]))),), pref, "vecka", mask=day))
        stad = None
    if rng.random() < 0.55:
        if stad:
            R.append(Routine((stad, ("Tvätt", 30.0)) if rng.random() < 0.5 else (stad,), pref, "varannan", mask=day,
                             parity=parity))
        if not any(p[0] == "Tvätt" for r in R for p in r.parts):
            R.append(Routine((("Tvätt", 30.0),), pref, "varannan", mask=day, parity=1 - parity))
    elif stad:
        R.append(Routine((stad,), pref, "varannan", mask=day, parity=parity))
    if rng.random() < 0.7:
        R.append(Routine((("Inköp", float(rng.choice([30, 45]))),), clock("10:00") + int(rng.integers(0, 240)) * MIN,
                         "vecka", mask=m.weekdays(1)))
    monthly = names.get("Ärenden")
    if monthly and rng.random() < 0.3:
        R.append(Routine(((monthly, 30.0),), clock("10:00") + int(rng.integers(0, 180)) * MIN, "manad",
                         days=m.month_days(1)))


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
    m.plant_general({"dubbel-handelse": 3, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
                     "saknar-tagg": 2, "korrigerad-manuell": 2, "avbojt-besok": 4})
    m.plant_double_staff_missing(2)
    m.plant_simultaneous(2)
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
        _service_routines(m, b, {}, weekly_stad=0.35)
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
    m.plant_general({"dubbel-handelse": 2, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
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
    m.plant_general({"dubbel-handelse": 2, "saknar-utcheckning": 2, "saknar-incheckning": 1, "kort-besok": 2,
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


# ---------------------------------------------------------------- files

def _date(start: date, d: int | None) -> str | None:
    return None if d is None else str(start + timedelta(days=d))


def _minuter(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return str(whole) if not frac else f"{whole},{str(frac).rjust(3, '0').rstrip('0')}"


def _local(start: datetime, seconds: int) -> str:
    return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")


def orders_frame(m: Month) -> tuple[pl.DataFrame, list[str]]:
    """Order lines sorted as a case system lists them (by brukare), ids in file order."""
    start = m.period.start
    perm = sorted(range(len(m.orders)), key=lambda i: (m.pnr[m.orders[i].bru], m.orders[i].fran, i))
    ids = [""] * len(m.orders)
    for k, i in enumerate(perm):
        ids[i] = f"B{k + 1:06d}"
    rows = [m.orders[i] for i in perm]
    df = pl.DataFrame({
        "bestallning_id": [ids[i] for i in perm],
        "brukare_id": [m.pnr[o.bru] for o in rows],
        "utforare_id": [m.utforare["utforare_id"][o.utf] for o in rows],
        "insats": [o.insats for o in rows],
        "minuter": [_minuter(o.milli) for o in rows],
        "per": [o.per for o in rows],
        "giltig_fran": [_date(start, o.fran) for o in rows],
        "giltig_till": [_date(start, o.till) for o in rows],
        "verkstalld_fran": [_date(start, o.verk) for o in rows],
        "antal": [None if o.antal is None else str(o.antal) for o in rows],
        "zon": [m.bru[o.bru].zon for o in rows],
        "dubbelbemanning": ["ja" if o.dubbel else "nej" for o in rows],
    }, schema={c: pl.String for c in ("bestallning_id", "brukare_id", "utforare_id", "insats", "minuter", "per",
                                      "giltig_fran", "giltig_till", "verkstalld_fran", "antal", "zon",
                                      "dubbelbemanning")})
    return df, ids


def staff_ids(m: Month) -> list[str]:
    numbers = 1000 + m.rng.permutation(len(m.roles))
    return [f"P{k}" for k in numbers.tolist()]


def events_frame(m: Month, staff: list[str]) -> pl.DataFrame:
    """Tag events in time order (as the time system exports them), handelse_id in file order."""
    start = datetime.combine(m.period.start, datetime.min.time())
    uid = m.utforare["utforare_id"].to_list()
    rows = []

    def add(v: Visit, t: int, typ: str, manual: bool, insatser: tuple[str, ...] | None) -> None:
        rows.append((t, len(rows), m.pnr[v.bru], uid[v.utf], staff[v.staff], typ, "manuell" if manual else "tagg",
                     "|".join(insatser) if insatser else None, m.roles[v.staff], "ja" if v.korr else "nej"))

    for v in m.visits:
        if v.mode in ("pair", "only_in"):
            add(v, v.t_in, "in", v.man_in, None)
            if v.dup == "in":
                add(v, v.t_in, "in", v.man_in, None)
        if v.mode in ("pair", "only_ut"):
            add(v, v.t_out, "ut", v.man_out, v.insatser)
            if v.dup == "ut":
                add(v, v.t_out, "ut", v.man_out, v.insatser)
        if v.mode == "avbojt":
            add(v, v.t_in, "avbojt", True, v.insatser)
    rows.sort()
    width = max(8, len(str(len(rows))))
    cols = ("brukare_id", "utforare_id", "personal_id", "typ", "metod", "insatser", "roll", "korrigerad")
    return pl.DataFrame({
        "handelse_id": [f"H{k + 1:0{width}d}" for k in range(len(rows))],
        "brukare_id": [r[2] for r in rows], "utforare_id": [r[3] for r in rows],
        "personal_id": [r[4] for r in rows], "tidpunkt": [_local(start, r[0]) for r in rows],
        **{c: [r[k] for r in rows] for c, k in zip(cols[3:], range(5, 10))},
    }, schema={c: pl.String for c in ("handelse_id", "brukare_id", "utforare_id", "personal_id", "tidpunkt", *cols[3:])})


def uppehall_frame(m: Month) -> pl.DataFrame:
    start = m.period.start
    rows = sorted(m.uppehall, key=lambda r: (r[1], m.pnr[r[0]]))
    return pl.DataFrame({
        "brukare_id": [m.pnr[b] for b, *_ in rows], "fran": [_date(start, f) for _, f, _, _ in rows],
        "till": [_date(start, t) for _, _, t, _ in rows], "orsak": [o for *_, o in rows],
        "utforare_id": [None] * len(rows),
    }, schema={c: pl.String for c in ("brukare_id", "fran", "till", "orsak", "utforare_id")})


def overtid_frame(m: Month) -> pl.DataFrame:
    uid = m.utforare["utforare_id"]
    return pl.DataFrame({"brukare_id": [m.pnr[b] for b, _, _ in m.overtid],
                         "utforare_id": [uid[u] for _, u, _ in m.overtid],
                         "minuter": [str(x) for _, _, x in m.overtid]},
                        schema={c: pl.String for c in ("brukare_id", "utforare_id", "minuter")})


def plant_row_errors(m: Month, orders: pl.DataFrame, upp: pl.DataFrame,
                     events: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Rows the reader rejects, as in the Norrköping month: generate.plant_file_errors (dubbel-rad,
    ogiltigt-tal, ogiltigt-datum) and tag events with an invalid personnummer (in and ut), an
    impossible time, an unknown utförare and, in a month with a daylight-saving change, a local
    time that does not exist or is ambiguous. Each on a brukare of its own."""
    from .generate import _invalid_personnummer, dst_time, plant_file_errors

    rng, uid = m.rng, m.utforare["utforare_id"]

    def brukare() -> int:
        return m.visits[m.take()].bru

    orders, upp, found = plant_file_errors(rng, m.period, orders, upp, m.pnr[brukare()])
    for code, items in found.items():
        m.details[code].extend(items)
        m.expected[code] += len(items)
    start = datetime.combine(m.period.start, datetime.min.time())
    rows = []

    def add(pnr: str, u: str, t: str, typ: str, insatser: str | None) -> None:
        rows.append({"brukare_id": pnr, "utforare_id": u, "personal_id": f"P{1000 + len(m.roles) + len(rows)}",
                     "tidpunkt": t, "typ": typ, "metod": "tagg", "insatser": insatser, "roll": "usk",
                     "korrigerad": "nej"})

    b = brukare()
    bad, u = _invalid_personnummer(m.pnr[b]), uid[m.bru[b].utf]
    t = int(rng.integers(1, m.days - 1)) * DAY + clock("09:00")
    add(bad, u, _local(start, t), "in", None)
    add(bad, u, _local(start, t + 25 * MIN), "ut", "Tillsyn")
    m.details["ogiltigt-personnummer"].append({"brukare_id": bad, "utforare_id": u, "fynd": 2})
    m.expected["ogiltigt-personnummer"] += 2
    b = brukare()
    when = f"{m.period.label}-{m.days + 1:02d} 25:00"
    add(m.pnr[b], uid[m.bru[b].utf], when, "avbojt", "Tillsyn")
    m.details["ogiltig-tidpunkt"].append({"brukare": b, "tid": when})
    m.expected["ogiltig-tidpunkt"] += 1
    b = brukare()
    add(m.pnr[b], "U99", _local(start, t + 3600), "avbojt", "Tillsyn")
    m.details["okand-utforare"].append({"brukare": b, "utforare_id": "U99"})
    m.expected["okand-utforare"] += 1
    gap = dst_time(m.period)
    if gap is not None:
        b = brukare()
        add(m.pnr[b], uid[m.bru[b].utf], gap, "avbojt", "Tillsyn")
        m.details["tvetydig-tidpunkt"].append({"brukare": b, "tid": gap})
        m.expected["tvetydig-tidpunkt"] += 1
    width = len(events["handelse_id"][0]) - 1 if events.height else 8
    extra = pl.DataFrame(rows, schema={c: pl.String for c in events.columns if c != "handelse_id"})
    extra = extra.select(pl.Series("handelse_id", [f"H{events.height + k + 1:0{width}d}" for k in range(len(rows))]),
                         pl.all())
    return orders, upp, pl.concat([events, extra.select(events.columns)])


# ---------------------------------------------------------------- facit

def beviljad_lov(m: Month, o: Order) -> int:
    """Beviljad tid LOV of one order line this month, in seconds (contract §2, rounded half up)."""
    if o.verk is None:
        return 0
    a = max(o.fran, o.verk, 0)
    z = min(m.days - 1 if o.till is None else o.till, m.days - 1)
    days = sum(1 for d in range(a, z + 1) if d not in m.bru[o.bru].upp)
    den = {"dag": 1, "vecka": 7, "manad": m.days}[o.per] * 1000
    return (o.milli * 60 * days * 2 + den) // (2 * den)


def window_seconds(a: int, z: int, day: int) -> int:
    return sum(max(0, min(z, (day + k) * DAY + WINDOW[1]) - max(a, (day + k) * DAY + WINDOW[0])) for k in (-1, 0, 1))


def visit_stats(m: Month) -> dict[str, int]:
    paired = [v for v in m.visits if v.mode == "pair"]
    return {"in_month": len(paired), "valid": len(m.valid_visits()),
            "avbojda": sum(v.mode == "avbojt" for v in m.visits)}


def readable(m: Month, details: dict, staff: list[str]) -> dict:
    start = datetime.combine(m.period.start, datetime.min.time())
    uid = m.utforare["utforare_id"]
    names = {"brukare": ("brukare_id", lambda x: m.pnr[x]), "nasta_brukare": ("nasta_brukare_id", lambda x: m.pnr[x]),
             "utforare": ("utforare_id", lambda x: uid[x]), "personal": ("personal_id", lambda x: staff[x]),
             "samtidigt_med": ("samtidigt_med_personal_id", lambda x: staff[x]),
             "giltig_fran": ("giltig_fran", lambda x: str(m.period.start + timedelta(days=x)))}

    def one(k: str, x) -> tuple[str, object]:
        if k in names:
            return names[k][0], names[k][1](x)
        return (k, _local(start, x)) if k.startswith("tidpunkt") else (k, x)

    out = {code: [dict(one(k, x) for k, x in item.items()) for item in items] for code, items in details.items()}
    if "korrigerad-manuell" in out:
        out["giltiga-korrigerade-manuella"] = out.pop("korrigerad-manuell")
    return dict(sorted(out.items()))


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
        "over_midnatt": {"brukare_id": m.pnr[mid.bru], "tidpunkt_in": _local(
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


BUILD = {"norrtalje": (build_norrtalje, facit_norrtalje), "osteraker": (build_osteraker, facit_osteraker),
         "osteraker-insats": (build_osteraker_insats, facit_insats)}


# ---------------------------------------------------------------- entry point

def generate_model(model: str, month: str, out_dir: Path | str, *, n_brukare: int = 300, seed: int = 2023) -> dict:
    """Write a synthetic month of `model` under `out_dir`; return its facit (also facit.json)."""
    from .generate import write_csv

    if model not in BUILD:
        raise ValueError(f"okänd modell '{model}'; välj en av {', '.join(MODELS)}")
    period, out_dir = Period.parse(month), Path(out_dir)
    m = Month(model, period, n_brukare, seed)
    build, facit_fn = BUILD[model]
    info = build(m)
    dubbel_ok = set(info.get("dubbelbemanning_ja", []))
    found, eff = m.recount_overlaps(dubbel_ok)
    for code in ("samtidiga-besok", "dubbelbemanning-saknas"):
        if found[code] != m.expected[code]:
            raise RuntimeError(f"generator: {code} {found[code]} found, {m.expected[code]} planted")
    extra = facit_fn(m, info, eff)
    staff = staff_ids(m)
    order_df, upp_df, events_df = plant_row_errors(m, *orders_frame(m)[:1], uppehall_frame(m),
                                                   events_frame(m, staff))
    files = {"utforare.csv": m.utforare, "bestallningar.csv": order_df, "uppehall.csv": upp_df,
             "taggningar.csv": events_df}
    if m.overtid:
        files["overtid.csv"] = overtid_frame(m)
    for name, df in files.items():
        write_csv(df, out_dir / name if name == "utforare.csv" else out_dir / period.label / name)
    facit = {
        "model": model, "month": period.label, "seed": seed, "brukare": m.n, "utforare": m.utforare.height,
        "rows": {name: df.height for name, df in files.items()},
        "zoner": dict(sorted(Counter(x.zon for x in m.bru).items())),
        "uppehall_rows": len(m.uppehall),
        "visits": visit_stats(m),
        "avvikelser": {k: v for k, v in sorted(m.expected.items()) if v},
        **extra,
        "planted": readable(m, m.details, staff),
    }
    (out_dir / period.label / "facit.json").write_text(json.dumps(facit, ensure_ascii=False, indent=2) + "\n",
                                                       encoding="utf-8")
    return facit
