"""A deterministic synthetic LOV month (Norrköping ramtid model) with planted avvikelser.

`generate_norrkoping()` writes `utforare.csv` and one month folder (bestallningar, uppehall,
taggningar, genomforandeplaner) like a Swedish export: UTF-8 with BOM, `;`, decimal comma, local
times. It also writes `facit.json`: what was planted and how many findings of each avvikelse code
the run must report (built here). The bulk (orders, visits, tag events) is vectorised with numpy
and polars; only the few planted cases are placed one by one.

How normal data stays free of findings: a day is cut into time slots (`streams`). Each slot has
its own staff pool per utförare; a staff member works one slot a day and serves `group` brukare in
disjoint sub-windows, so no staff member and no brukare ever has two visits at once, and a staff
member meets a brukare at most once a day.

A month is calibrated for follow-up (`lovkorning diff`, issue 4; see `followup`): after the
avvikelser are planted, each brukare's visits are stretched or shrunk inside their sub-windows so
that its utförd tid is an exact share of its beviljad tid LOV (90–102 % for ordinary brukare). In
2023-07 … 2023-09 the follow-up cases are planted too, and 2023-09's facit lists them
(`uppfoljning`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ..core.period import Period
from . import followup as fu
from .exports import orders_frame, plans_frame, staff_ids, uppehall_frame, write_events
from .orders import concat, make_plans, other_orders, plant_orders, ramtid_orders, s_orders
from .planter import Planter
from .streams import RAMTID_SLOTS, expand_visits, make_streams
from .world import (FILE_ERRORS, INS, INSATSER, MODE_PAIR, NULL, Progress, World, local_time,
                    make_uppehall, make_world, plant_file_errors, write_csv)


def generate_norrkoping(month: str, out_dir: Path | str, *, n_brukare: int, seed: int,
                        progress: Progress) -> dict:
    """Write a synthetic Norrköping month (config/norrkoping.yaml) under `out_dir`, telling
    `progress` its stages; return its facit (also written as facit.json)."""
    period, out_dir = Period.parse(month), Path(out_dir)
    rng_base = np.random.default_rng([seed, n_brukare])
    rng = np.random.default_rng([seed, n_brukare, period.year, period.month])
    progress("Skapar brukare och utförare", 0.0)
    w = make_world(rng_base, rng, period, n_brukare)
    plan = fu.make_plan(rng_base, w)
    fu.fix_world(plan, w)
    upp = make_uppehall(rng, w)
    andel = fu.andel(rng, w, plan)
    orders = concat([ramtid_orders(rng, w, andel), s_orders(rng, w, andel),
                     other_orders(rng, w, andel)])
    progress("Skapar besök", 0.15)
    visits, n_staff = expand_visits(rng, make_streams(orders, w), w)
    progress("Planterar avvikelser", 0.35)
    planter = Planter(rng, w, visits, orders, n_staff)
    planter.plant_modified()
    planter.plant_outside()
    planter.plant_extra()
    planter.plant_row_errors()
    orders = concat([orders, plant_orders(rng, w, planter)])
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
    rows["taggningar.csv"] = write_events(month_dir / "taggningar.csv", visits, planter, w, staff,
                                           progress)
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
    """The facit: the month's sizes, the findings per code the run must report, what was planted."""
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
            return key, local_time(start, x)
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
