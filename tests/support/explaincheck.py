"""`explain` checked on a settled month: the invariants every month must keep, and a YAML case's
expectations (tests/cases/README.md, `expect.explain`)."""

from __future__ import annotations

import polars as pl

from lovkorning.run.explain import Explanation, Month, check_total, rows_doc, utforare_doc
from lovkorning.settle.lineage import trace
from lovkorning.settle.rowstatus import month_rows, statuses, unpaid_rows


def explain_all(cfg, settled) -> tuple[object, pl.DataFrame]:
    """The lineage of every utförare and the status of every row of the month."""
    ids = settled.avr.utforare["utforare_id"].to_list()
    lineage = trace(cfg, settled, ids)
    return lineage, statuses(settled, lineage, month_rows(settled))


def explanation(cfg, settled, uid: str) -> Explanation:
    lineage = trace(cfg, settled, [uid])
    check_total(settled, lineage, uid)
    return Explanation(Month(settled, None, []), uid, lineage, unpaid_rows(settled, lineage, [uid]))


def check_invariants(cfg, settled) -> pl.DataFrame:
    """For every utförare: its total = Σ lines + justeringar = the settlement's total, every line
    names its rows; every tag row of the month has exactly one status, and it agrees with
    avvikelser.csv (a `fel` finding ⇔ avvisad) and with the visits (a visit not counted: ej_ersatt
    or avvisad; ersatt and underlag only for counted visits or declined ones). Returns the statuses."""
    avr = settled.avr
    for uid in avr.utforare["utforare_id"].to_list():
        doc = utforare_doc(explanation(cfg, settled, uid), mask=False)
        lines = sum(x["ore"] + x["tillagg_ore"] for x in doc["lines"]) + sum(j["ore"] for j in doc["justeringar"])
        assert doc["total_ore"] == lines == avr.totals[uid], (uid, doc["total_ore"], lines, avr.totals[uid])
        assert all(x["rader"] for x in doc["lines"]), uid
    lineage, st = explain_all(cfg, settled)
    _items_add_up(cfg, settled, lineage)
    assert st.select(pl.struct("fil", "rad").is_unique().all()).item()
    for uid in avr.utforare["utforare_id"].to_list():       # the short way an utförare's unpaid rows are found
        short = explanation(cfg, settled, uid).rows
        full = st.filter(pl.col("utforare_id").eq(uid) & pl.col("status").is_in(["avvisad", "ej_ersatt"]))
        assert short.sort("fil", "rad").equals(full.sort("fil", "rad")), uid
    tags = settled.indata.sources
    tag = next((s for s in tags if s.name == "taggningar"), None)
    if tag is not None:
        mine = st.filter(pl.col("fil") == tag.path.name)
        assert mine.height == tag.rows, (mine.height, tag.rows)
    fel = avr.avvikelser.filter(pl.col("allvarlighet") == "fel").select("fil", "rad").unique()
    assert set(st.filter(pl.col("status") == "avvisad").select("fil", "rad").rows()) == set(fel.rows())
    v = settled.visits.besok
    for col in ("in_rad", "ut_rad"):
        j = st.join(v.select(pl.col("_fil").cast(pl.String).alias("fil"), pl.col(col).alias("rad"), "giltig"),
                    on=["fil", "rad"])
        assert j.filter(~pl.col("giltig") & pl.col("status").is_in(["ersatt", "underlag"])).is_empty()
    return st


def check_case(want: dict, cfg, settled) -> None:
    """A case's `explain` expectations: per utförare its lines (each `lines` entry matches exactly
    one line on the keys given; `rader` compared as a list) and its ej_ersatt rows (exactly those);
    `rader`: the status document of given rows, on the keys given."""
    st = check_invariants(cfg, settled)
    for uid, exp in want.items():
        if uid == "rader":
            continue
        doc = utforare_doc(explanation(cfg, settled, uid), mask=False)
        for line in exp.get("lines", []):
            hit = [x for x in doc["lines"] if all(x.get(k) == v for k, v in line.items())]
            assert len(hit) == 1, f"{uid}: line {line} matched {len(hit)} of {doc['lines']}"
        if "lines_count" in exp:
            assert len(doc["lines"]) == exp["lines_count"], doc["lines"]
        if "justeringar" in exp:
            assert doc["justeringar"] == exp["justeringar"], doc["justeringar"]
        if "total_ore" in exp:
            assert doc["total_ore"] == exp["total_ore"], doc["total_ore"]
        if "ej_ersatt" in exp:
            assert doc["ej_ersatt"] == exp["ej_ersatt"], f"{uid}: {doc['ej_ersatt']} != {exp['ej_ersatt']}"
    lineage, _ = explain_all(cfg, settled)
    for addr, exp in want.get("rader", {}).items():
        fil, rad = addr.rsplit(":", 1)
        got = st.filter((pl.col("fil") == fil) & (pl.col("rad") == int(rad)))
        assert got.height == 1, f"{addr}: {got.height} statuses"
        e = Explanation(Month(settled, None, []), "", lineage, got)
        doc = rows_doc(e)["rader"][0]
        for k, v in exp.items():
            assert doc[k] == v, f"{addr}: {k} = {doc[k]!r}, expected {v!r} ({doc})"


def _items_add_up(cfg, settled, lineage) -> None:
    """The visits and registrations on a line are what it sums: a fee per visit or a schablon
    counts exactly its items; utförd tid without a cap or window is exactly its visits' seconds,
    and with one at most them (a capped line rests on all its visits)."""
    rules = {r.name: r for r in cfg.cfg.rules}
    bi = settled.visits.besok_insats.select(pl.col("besok_id").alias("id"), "insats", "sek")
    n = lineage.items.group_by("_line").agg(pl.len().alias("n"))
    lines = lineage.lines.join(n, on="_line", how="left").with_columns(pl.col("n").fill_null(0))
    for x in lines.filter(pl.col("basis").is_in(["besok", "schablon"])).iter_rows(named=True):
        assert x["n"] == x["antal"], x
    sek = lineage.items.join(lineage.lines.select("_line", "insats"), on="_line").join(bi, on=["id", "insats"]).group_by(
        "_line").agg(pl.col("sek").sum().alias("s"))
    for x in lines.filter(pl.col("basis") == "utford").join(sek, on="_line", how="left").iter_rows(named=True):
        rule = rules[x["regel"]]
        exact = rule.cap == "none" and not rule.tid and not rule.max_andel and not cfg.cfg.visits.window
        assert (x["s"] == x["ersatt_sek"]) if exact else (x["s"] or 0) >= x["ersatt_sek"], (x, rule)
