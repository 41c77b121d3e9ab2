"""The avvikelser every Norrtälje and Österåker month plants, one brukare each: the findings every
time system produces, a second staff member without dubbelbemanning ordered, and a staff member
at two brukare at once.
"""

from __future__ import annotations

from collections import defaultdict

from .kommuner import BRUKARE_GAP, MIN, Visit
from .modelmonth import Month


def plant_general(m: Month, plan: dict[str, int]) -> None:
    """The findings every time system produces, one brukare each."""
    rng = m.rng
    for k in range(plan.get("dubbel-handelse", 0)):
        i = m.take()
        m.visits[i].dup = "in" if k % 2 == 0 else "ut"
        m.note("dubbel-handelse", i, typ=m.visits[i].dup)
    for code, mode in (("saknar-utcheckning", "only_in"), ("saknar-incheckning", "only_ut"),
                       ("avbojt-besok", "avbojt")):
        for _ in range(plan.get(code, 0)):
            i = m.take()
            m.visits[i].mode = mode
            m.note(code, i)
    for _ in range(plan.get("kort-besok", 0)):
        i = m.take()
        v = m.visits[i]
        v.t_out = v.t_in + int(rng.integers(15, 51))
        m.note("kort-besok", i)
    for code, korr in (("saknar-tagg", False), ("korrigerad-manuell", True)):
        for _ in range(plan.get(code, 0)):
            i = m.take()
            v = m.visits[i]
            v.man_in = v.man_out = True
            v.korr = korr
            m.note(code, i)
    for code in ("dubbel-handelse", "saknar-utcheckning", "saknar-incheckning", "avbojt-besok",
                 "kort-besok", "saknar-tagg"):
        m.expected[code] += plan.get(code, 0)


def plant_double_staff_missing(m: Month, k: int) -> None:
    """A second staff member at the brukare during a visit, without dubbelbemanning ordered."""
    rng = m.rng
    for _ in range(k):
        i = m.take(min_secs=20 * MIN)
        v = m.visits[i]
        s = m.hire("extra")
        a = v.t_in + int(rng.integers(3, 8)) * MIN
        z = v.t_out - int(rng.integers(2, 5)) * MIN
        m.visits.append(Visit(v.bru, v.utf, s, v.day, a, z, v.insatser, plain=False))
        m.note("dubbelbemanning-saknas", len(m.visits) - 1, samtidigt_med=v.staff)
        m.expected["dubbelbemanning-saknas"] += 1


def plant_simultaneous(m: Month, k: int) -> None:
    """A staff member checks in at the next brukare before checking out at this one."""
    rng, by_staff = m.rng, defaultdict(list)
    for i, v in enumerate(m.visits):
        if v.mode == "pair":
            by_staff[v.staff].append(i)
    pairs = []
    for idx in by_staff.values():
        idx.sort(key=lambda i: m.visits[i].t_in)
        for x, y in zip(idx, idx[1:]):
            vx, vy = m.visits[x], m.visits[y]
            if vx.bru != vy.bru and vx.day == vy.day and vy.t_out - vy.t_in > 10 * MIN:
                pairs.append((x, y))
    done, plain = 0, set(m.candidates())
    for j in rng.permutation(len(pairs)).tolist():
        x, y = pairs[j]
        vx, vy = m.visits[x], m.visits[y]
        if x not in plain or vx.bru in m.used or vy.bru in m.used:
            continue
        new_out = vy.t_in + int(rng.integers(2, 7)) * MIN
        if any(w.bru == vx.bru and w is not vx and w.mode != "gone" and vx.t_in < w.t_in < new_out + BRUKARE_GAP
               for w in m.visits):
            continue
        vx.t_out = new_out
        vx.plain = vy.plain = False
        m.used |= {vx.bru, vy.bru}
        m.note("samtidiga-besok", x, nasta_brukare=vy.bru, tidpunkt_nasta_in=vy.t_in)
        m.expected["samtidiga-besok"] += 1
        done += 1
        if done == k:
            return
    raise RuntimeError("no place for samtidiga-besok")
