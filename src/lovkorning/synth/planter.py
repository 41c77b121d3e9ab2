"""The Norrköping month's planted avvikelser: `Planter` picks one plain brukare per planted case
and changes its visits (lone ends, swaps, duplicates, short visits, taggings by hand), adds visits
on uppehåll days and before the month, extra visits with staff of their own, and tag rows the run
rejects; `details` records what was planted for the facit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from .world import (INS, MODE_AVBOJT, MODE_ONLY_IN, MODE_ONLY_UT, MODE_SWAPPED, NULL, PLANT,
                    RAMTID_INSATSER, ZONE, World, dst_time, invalid_personnummer, special_mask)


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
        special = special_mask(w).copy()
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
        bad = invalid_personnummer(w.pnr[b])
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
