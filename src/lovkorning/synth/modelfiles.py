"""A Norrtälje or Österåker month as files: orders sorted by brukare, tag events in time order,
uppehåll and överenskommen övertid as strings, and the rows the reader rejects.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import polars as pl

from .kommuner import DAY, MIN, Visit, clock
from .modelmonth import Month
from .world import dst_time, invalid_personnummer, local_time, plant_file_errors


def _date(start: date, d: int | None) -> str | None:
    return None if d is None else str(start + timedelta(days=d))


def _minuter(milli: int) -> str:
    whole, frac = divmod(milli, 1000)
    return str(whole) if not frac else f"{whole},{str(frac).rjust(3, '0').rstrip('0')}"


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
        "personal_id": [r[4] for r in rows], "tidpunkt": [local_time(start, r[0]) for r in rows],
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
    """Rows the reader rejects, as in the Norrköping month: world.plant_file_errors (dubbel-rad,
    ogiltigt-tal, ogiltigt-datum) and tag events with an invalid personnummer (in and ut), an
    impossible time, an unknown utförare and, in a month with a daylight-saving change, a local
    time that does not exist or is ambiguous. Each on a brukare of its own."""
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
    bad, u = invalid_personnummer(m.pnr[b]), uid[m.bru[b].utf]
    t = int(rng.integers(1, m.days - 1)) * DAY + clock("09:00")
    add(bad, u, local_time(start, t), "in", None)
    add(bad, u, local_time(start, t + 25 * MIN), "ut", "Tillsyn")
    m.details["ogiltigt-personnummer"].append({"brukare_id": bad, "utforare_id": u, "fynd": 2})
    m.expected["ogiltigt-personnummer"] += 2
    b = brukare()
    when = f"{m.period.label}-{m.days + 1:02d} 25:00"
    add(m.pnr[b], uid[m.bru[b].utf], when, "avbojt", "Tillsyn")
    m.details["ogiltig-tidpunkt"].append({"brukare": b, "tid": when})
    m.expected["ogiltig-tidpunkt"] += 1
    b = brukare()
    add(m.pnr[b], "U99", local_time(start, t + 3600), "avbojt", "Tillsyn")
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
