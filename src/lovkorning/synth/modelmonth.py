"""A Norrtälje or Österåker month built explicitly, brukare by brukare and day by day: `Month`
holds the world (brukare, uppehåll), turns routines into orders and visit requests, places and
staffs the visits, picks plain visits for the planted cases, and recounts overlaps as the run
will. Also the service routines both municipalities share and beviljad tid LOV of an order line.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import numpy as np

from ..core.period import Period
from .kommuner import (BRUKARE_GAP, DAY, KOMMUN_OF, KOMMUNER, MIN, MODEL_KEY, ROLES, SCHABLON,
                       TRAVEL, WINDOW, Brukare, Order, Req, Routine, Visit, clock, make_register)
from .world import make_personnummer


class Month:
    """A model month as it is built: calendar, world, orders, visit requests, staffing, the picking
    of plain visits for planted cases, and the self-check."""

    def __init__(self, model: str, period: Period, n: int, seed: int):
        self.model, self.period, self.n, self.seed = model, period, n, seed
        kommun = KOMMUNER[KOMMUN_OF[model]]
        base = np.random.default_rng([seed, n, kommun.key])
        self.rng = np.random.default_rng([seed, n, period.year, period.month, MODEL_KEY[model]])
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


def service_routines(m: Month, b: int, names: dict[str, str], *, weekly_stad: float = 0.0) -> None:
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


def beviljad_lov(m: Month, o: Order) -> int:
    """Beviljad tid LOV of one order line this month, in seconds (contract §2, rounded half up)."""
    if o.verk is None:
        return 0
    a = max(o.fran, o.verk, 0)
    z = min(m.days - 1 if o.till is None else o.till, m.days - 1)
    days = sum(1 for d in range(a, z + 1) if d not in m.bru[o.bru].upp)
    den = {"dag": 1, "vecka": 7, "manad": m.days}[o.per] * 1000
    return (o.milli * 60 * days * 2 + den) // (2 * den)
