"""Follow-up calibration of the Norrköping month (issue 4, `lovkorning diff`), and its facit.

Every brukare's utförd tid is made an exact share (`andel`) of its beviljad tid LOV, as the run
counts them: the counted seconds of its valid visits on the insatser with beviljad tid at its
utförare, over that beviljad tid. An ordinary brukare gets 90–102 %, so no utförare falls under
the 85 % target of seed 003 and no brukare differs from beviljad by more than 20 % (seed 001).

Over the window `WINDOW` (2023-07 … 2023-09) the generator plants what the diff must find:
- one private utförare whose brukare all get 81–83 % (under the target, no brukare to review);
- three brukare off their beviljad tid by more than 20 % in two consecutive months, and two
  decoys that are off in two months apart or in one month only (`CASES`);
- one utförare with ~20 % of its counted time registered by hand at both ends (korrigerad) in
  the last two months, one with ~8 declined visits per 100 valid visits in the last month.

Who is chosen depends only on the seed and size (the stable part of the world), so the three
months agree. `calibrate` runs after every avvikelse is planted: it counts what each planted case
leaves of a brukare's time and stretches or shrinks the brukare's ordinary visits to the share,
each inside its staff member's sub-window so no visits start to overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .planter import Planter
from .world import INS, MODE_AVBOJT, MODE_PAIR, NULL, World

WINDOW = ("2023-07", "2023-08", "2023-09")
THRESHOLDS = {"target_percent": 85, "review_percent": 20, "review_months": 2,
              "max_manual_percent": 10, "max_declined_per_100": 5}
NORMAL = (0.90, 1.02)          # andel utförd of every other brukare
UNDER = (0.81, 0.83)           # the brukare of the utförare under the target
MANUAL_SHARE = 0.20            # counted time by hand at both ends, korrigerad
MANUAL_MONTHS = (1, 2)         # indices into WINDOW
DECLINED_PER_100 = 8
DECLINED_MONTHS = (2,)
CASES = (                      # role, andel by month index (other months: NORMAL)
    ("granskning", {1: 0.60, 2: 0.60}),
    ("granskning", {0: 1.40, 1: 1.40}),
    ("granskning", {0: 0.65, 1: 1.30}),
    ("decoy", {0: 0.70, 2: 0.70}),     # off twice, but not in consecutive months
    ("decoy", {1: 1.35}),              # off in one month only
)
MAX_COUNTED = 480 * 60         # visits.max_minutes of config/norrkoping.yaml
MIN_SECONDS = 300              # calibration never shortens a visit below 5 minutes
NOT_LOV = (INS["Natthjälp"], INS["Tillsyn (digital)"])


@dataclass
class Plan:
    pos: int | None            # this month's index in WINDOW; None: nothing planted this month
    under_mal: int             # utförare indices
    manuell: int
    avbojda: int
    brukare: list[int]         # one per CASES

    def active(self, months: tuple[int, ...]) -> bool:
        return self.pos is not None and self.pos in months


def make_plan(rng_base: np.random.Generator, w: World) -> Plan:
    """Choose the utförare and brukare of the follow-up cases (the same in every month). The
    private utförare by size: the 2nd largest is under the target, the 3rd registers by hand, the
    smallest has declined visits."""
    k = w.utforare.height
    counts = np.bincount(w.utf, minlength=k)
    private = sorted(range(1, k), key=lambda u: (-counts[u], u))
    under, manual, declined = private[1], private[2], private[-1]
    pool = np.flatnonzero(w.utf != under)
    brukare = [int(b) for b in rng_base.choice(pool, len(CASES), replace=False)]
    pos = WINDOW.index(w.period.label) if w.period.label in WINDOW else None
    return Plan(pos, under, manual, declined, brukare)


def fix_world(plan: Plan, w: World) -> None:
    """In a window month the case brukare are ordinary existing brukare (whole month, no end
    date, no uppehåll, no extra orders, no planted avvikelse): swap dates with one who is."""
    w.special = np.zeros(w.n, bool)
    if plan.pos is None:
        return
    w.special[plan.brukare] = True
    for b in plan.brukare:
        if w.kind[b] == 0 and w.till[b] == NULL:
            continue
        p = int(np.flatnonzero((w.kind == 0) & (w.till == NULL) & ~w.special)[0])
        for arr in (w.kind, w.start, w.verk, w.till):
            arr[b], arr[p] = arr[p], arr[b]


def andel(rng: np.random.Generator, w: World, plan: Plan) -> np.ndarray:
    """Each brukare's utförd / beviljad LOV this month."""
    a = rng.uniform(*NORMAL, w.n)
    if plan.pos is None:
        return a
    low = np.flatnonzero(w.utf == plan.under_mal)
    a[low] = rng.uniform(*UNDER, low.size)
    for b, (_, by_month) in zip(plan.brukare, CASES):
        a[b] = by_month.get(plan.pos, a[b])
    return a


# ---------------------------------------------------------------- what the run will count

def beviljad_lov(orders: dict, w: World) -> np.ndarray:
    """Beviljad tid LOV of each order line this month, in seconds (uppehåll days excluded)."""
    lo = np.maximum(np.maximum(orders["fran"], orders["verk"]), 0)
    hi = np.where(orders["till"] == NULL, w.days - 1, np.minimum(orders["till"], w.days - 1))
    days = np.arange(w.days)
    active = ((orders["verk"] != NULL)[:, None] & (days >= lo[:, None]) & (days <= hi[:, None])
              & ~w.upp[orders["bru"], 1:])
    div = np.select([orders["per"] == 0, orders["per"] == 1], [1, 7], w.days)
    sek = active.sum(axis=1) * orders["m10"] * 6 / div
    return np.where(np.isin(orders["insats"], NOT_LOV), 0.0, sek)


def _key(bru, utf, insats) -> np.ndarray:
    return np.asarray(bru, np.int64) * 10**6 + np.asarray(utf, np.int64) * 100 + np.asarray(insats)


def counted(v: dict) -> tuple[np.ndarray, np.ndarray]:
    """Per visit: valid as the run sees it, and its counted seconds."""
    dur = v["t_out"] - v["t_in"]
    valid = (v["keep"] & (v["mode"] == MODE_PAIR) & (v["day"] >= 0) & (dur >= 60)
             & ~(v["man_in"] & v["man_out"] & ~v["korr"]))
    return valid, np.where(valid, np.minimum(dur, MAX_COUNTED), 0)


def _extra(planter: Planter) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Extra RAM-tid visits (long, over midnight, without order): brukare, utförare, seconds."""
    e = np.array(planter.extra_visits, np.int64).reshape(-1, 4)
    day_ok = e[:, 2] >= 0
    sek = np.where(day_ok, np.minimum(e[:, 3] - e[:, 2], MAX_COUNTED), 0)
    return e[:, 0], e[:, 1], sek


def calibrate(planter: Planter, orders: dict, target: np.ndarray) -> None:
    """Stretch or shrink each brukare's ordinary visits so that its counted time on insatser with
    beviljad tid is `target` × its beviljad tid LOV at its utförare."""
    v, w = planter.v, planter.w
    bev = beviljad_lov(orders, w)
    own = orders["utf"] == w.utf[orders["bru"]]
    has_bev = np.unique(_key(orders["bru"], orders["utf"], orders["insats"])[(bev > 0) & own])
    total_bev = np.bincount(orders["bru"][own], bev[own], minlength=w.n)
    valid, sek = counted(v)
    scope = valid & np.isin(_key(v["bru"], v["utf"], v["insats"]), has_bev)
    free = scope & ~v["fixed"] & ~v["finding"]
    new = sek.astype(float)
    lo = np.minimum(MIN_SECONDS, sek)
    hi = v["win_hi"] - v["win_lo"] - 60
    eb, eu, es = _extra(planter)
    e_in = np.isin(_key(eb, eu, INS["RAM-tid"]), has_bev)
    extra = np.bincount(eb[e_in], es[e_in], minlength=w.n)
    goal = target * total_bev
    for _ in range(10):
        fixed = np.bincount(v["bru"][scope & ~free], new[scope & ~free], minlength=w.n) + extra
        movable = np.bincount(v["bru"][free], new[free], minlength=w.n)
        f = np.divide(goal - fixed, movable, out=np.ones(w.n), where=movable > 0)
        new[free] *= f[v["bru"][free]]
        clipped = free & ((new < lo) | (new > hi))
        new = np.where(clipped, np.clip(new, lo, hi), new)
        if not clipped.any():
            break
        free &= ~clipped
    moved = scope & ~v["fixed"] & ~v["finding"]
    dur = np.rint(new[moved]).astype(np.int64)
    t_in = np.minimum(v["t_in"][moved], v["win_hi"][moved] - 60 - dur)
    v["t_in"][moved] = t_in
    v["t_out"][moved] = t_in + dur


def _ordinary(v: dict, u: int) -> np.ndarray:
    valid, _ = counted(v)
    return np.flatnonzero(valid & (v["utf"] == u) & ~v["fixed"] & ~v["finding"] & ~v["upp_day"]
                          & (v["insats"] == INS["RAM-tid"]))


def decline(planter: Planter, plan: Plan) -> int:
    """Some ordinary visits of the `avbojda` utförare become declined visits (`typ: avbojt`),
    DECLINED_PER_100 per 100 of the valid visits that remain. Returns how many."""
    if not plan.active(DECLINED_MONTHS):
        return 0
    v, u = planter.v, plan.avbojda
    valid, _ = counted(v)
    _, eu, _ = _extra(planter)
    n_valid = int((valid & (v["utf"] == u)).sum()) + int((eu == u).sum())
    k = round(n_valid * DECLINED_PER_100 / (100 + DECLINED_PER_100))
    for i in np.sort(planter.rng.choice(_ordinary(v, u), k, replace=False)).tolist():
        v["mode"][i] = MODE_AVBOJT
        v["fixed"][i] = True
        planter.note("avbojt-besok", i, {"tidpunkt": "t_in"})
    return k


def register_by_hand(planter: Planter, plan: Plan) -> int:
    """Ordinary visits of the `manuell` utförare registered by hand at both ends and korrigerad,
    until they are MANUAL_SHARE of its counted time. Returns how many."""
    if not plan.active(MANUAL_MONTHS):
        return 0
    v, u = planter.v, plan.manuell
    valid, sek = counted(v)
    _, eu, es = _extra(planter)
    total = int(sek[valid & (v["utf"] == u)].sum()) + int(es[eu == u].sum())
    cand = planter.rng.permutation(_ordinary(v, u))
    n = int(np.searchsorted(np.cumsum(sek[cand]), MANUAL_SHARE * total)) + 1
    pick = cand[:n]
    v["man_in"][pick] = v["man_out"][pick] = v["korr"][pick] = True
    v["fixed"][pick] = True
    return int(pick.size)


# ---------------------------------------------------------------- facit

def _brukare_id(w: World, b: int) -> str:
    return w.pnr[b].replace("-", "")


def facit_month(plan: Plan, w: World, a: np.ndarray, n_declined: int, n_manual: int) -> dict:
    """What this month plants: flagged utförare and the case brukare with their andel."""
    uid = w.utforare["utforare_id"]
    p = plan.pos
    return {
        "month": w.period.label,
        "andel_normal": list(NORMAL),
        "under-mal": {"utforare_id": uid[plan.under_mal], "andel": list(UNDER)},
        "manuell-tid": ({"utforare_id": uid[plan.manuell], "andel": MANUAL_SHARE, "besok": n_manual}
                        if n_manual else None),
        "avbojda-besok": ({"utforare_id": uid[plan.avbojda], "per_100": DECLINED_PER_100,
                           "avbojda": n_declined} if n_declined else None),
        "brukare": [{"roll": role, "utforare_id": uid[int(w.utf[b])], "brukare_id": _brukare_id(w, b),
                     "andel": round(float(a[b]), 3), "avviker": p in by_month}
                    for b, (role, by_month) in zip(plan.brukare, CASES)],
    }


def facit_window(plan: Plan, w: World) -> dict:
    """The flags `lovkorning diff` must raise over WINDOW (default thresholds), and the decoys."""
    uid = w.utforare["utforare_id"]
    months = list(WINDOW)

    def at(b: int) -> dict:
        return {"utforare_id": uid[int(w.utf[b])], "brukare_id": _brukare_id(w, b)}

    return {
        "months": months,
        "thresholds": dict(THRESHOLDS),
        "under-mal": {uid[plan.under_mal]: months},
        "granskning": [at(b) for b, (role, _) in zip(plan.brukare, CASES) if role == "granskning"],
        "manuell-tid": {uid[plan.manuell]: [months[i] for i in MANUAL_MONTHS]},
        "avbojda-besok": {uid[plan.avbojda]: [months[i] for i in DECLINED_MONTHS]},
        "decoys": [{**at(b), "avvikande_manader": [months[i] for i in sorted(by_month)],
                    "andel": {months[i]: x for i, x in sorted(by_month.items())}}
                   for b, (role, by_month) in zip(plan.brukare, CASES) if role == "decoy"],
    }
