"""The Norrköping month as files: the order, uppehåll and plan frames as strings (dates, decimal
comma), and taggningar.csv, built and written a chunk of rows at a time in a shuffled order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import polars as pl

from .planter import Planter
from .world import (INSATSER, MODE_AVBOJT, MODE_ONLY_IN, MODE_ONLY_UT, MODE_PAIR, MODE_SWAPPED,
                    NULL, PER, Progress, World, local_time)


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
         "tidpunkt": e["t"] if isinstance(e["t"], str) else local_time(start, e["t"]),
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


def write_events(path: Path, v: dict, planter: Planter, w: World, staff: pl.Series,
                 progress: Progress) -> int:
    """taggningar.csv: all tag events as strings in a shuffled order, with handelse_id in file
    order, built and written EVENT_CHUNK rows at a time (as write_csv would write them all), each
    chunk reported to `progress`. Returns the number of rows."""
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
