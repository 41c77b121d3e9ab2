"""Synthetic months for Norrtälje (KSON, seed 003) and Österåker (seed 004, the current model and
the proposed per-insats model), with planted avvikelser and a facit.

`lovkorning.synth.generate(..., model=...)` calls `generate_model` here for every model but
Norrköping. A month is built explicitly, brukare by brukare and day by day (a few hundred brukare
make a few tens of thousands of visits, quick in plain Python):

1. the world: utförare (all private), brukare with zon, profile, start and end, uppehåll;
2. routines per brukare (which insatser, when, how long); the orders follow from them;
3. visit requests per brukare and day, placed so that a brukare never has two visits at once,
   then staffed from per-utförare pools so that no staff member is at two brukare at once;
4. planted avvikelser, each adding what the run must report to `Month.expected`;
5. a self-check that recounts overlaps of staff and brukare from the finished visits, then the
   files (UTF-8 with BOM, `;`, decimal comma, local times) and facit.json.

The parts are in kommuner and modelmonth, the shared plantings in modelplant, each
municipality's routines, plantings and facit in norrtalje and osteraker, the files in modelfiles.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from ..core.period import Period
from .modelfiles import events_frame, orders_frame, overtid_frame, plant_row_errors, staff_ids, uppehall_frame
from .modelmonth import Month
from .norrtalje import build_norrtalje, facit_norrtalje
from .osteraker import build_osteraker, build_osteraker_insats, facit_insats, facit_osteraker
from .world import local_time, write_csv

MODELS = ("norrtalje", "osteraker", "osteraker-insats")
BUILD = {"norrtalje": (build_norrtalje, facit_norrtalje), "osteraker": (build_osteraker, facit_osteraker),
         "osteraker-insats": (build_osteraker_insats, facit_insats)}


def visit_stats(m: Month) -> dict[str, int]:
    """Paired visits, valid ones, declined ones."""
    paired = [v for v in m.visits if v.mode == "pair"]
    return {"in_month": len(paired), "valid": len(m.valid_visits()),
            "avbojda": sum(v.mode == "avbojt" for v in m.visits)}


def readable(m: Month, details: dict, staff: list[str]) -> dict:
    """Planted cases with ids and local times instead of indices."""
    start = datetime.combine(m.period.start, datetime.min.time())
    uid = m.utforare["utforare_id"]
    names = {"brukare": ("brukare_id", lambda x: m.pnr[x]), "nasta_brukare": ("nasta_brukare_id", lambda x: m.pnr[x]),
             "utforare": ("utforare_id", lambda x: uid[x]), "personal": ("personal_id", lambda x: staff[x]),
             "samtidigt_med": ("samtidigt_med_personal_id", lambda x: staff[x]),
             "giltig_fran": ("giltig_fran", lambda x: str(m.period.start + timedelta(days=x)))}

    def one(k: str, x) -> tuple[str, object]:
        if k in names:
            return names[k][0], names[k][1](x)
        return (k, local_time(start, x)) if k.startswith("tidpunkt") else (k, x)

    out = {code: [dict(one(k, x) for k, x in item.items()) for item in items] for code, items in details.items()}
    if "korrigerad-manuell" in out:
        out["giltiga-korrigerade-manuella"] = out.pop("korrigerad-manuell")
    return dict(sorted(out.items()))


# ---------------------------------------------------------------- entry point

def generate_model(model: str, month: str, out_dir: Path | str, *, n_brukare: int = 300, seed: int = 2023) -> dict:
    """Write a synthetic month of `model` under `out_dir`; return its facit (also facit.json)."""
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
