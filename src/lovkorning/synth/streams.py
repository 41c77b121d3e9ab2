"""The Norrköping month's day in time slots, and its visits: each order line becomes one stream per
slot (the visits it gets there, day by day), staffed from a pool per utförare and slot so that no
staff member and no brukare ever has two visits at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .world import INS, NULL, World


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


# ---------------------------------------------------------------- streams and visits

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
