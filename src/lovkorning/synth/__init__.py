"""The generator: synthetic LOV months with planted avvikelser and a facit, a wing beside the
product (it imports `lovkorning.core` only; only the CLI's `generate` command imports it).

`generate()` writes a month of one model; `main()` is `python -m lovkorning.generate`. Modules:
world (what every month stands on, and the Norrköping world), then the Norrköping month
(planter, streams, orders, exports, followup, norrkoping) and the other models' months (kommuner,
modelmonth, modelplant, norrtalje, osteraker, modelfiles, models); scaffold makes the folder
`lovkorning generate` writes, with a config that settles it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..core.period import Period
from .models import generate_model
from .norrkoping import generate_norrkoping
from .world import Progress, no_progress

SIZES = {"small": 600, "norrkoping": 3000, "stockholm": 20000, "sweden": 250000}
MODELS = ("norrkoping", "norrtalje", "osteraker", "osteraker-insats")
MIN_BRUKARE = 150


def generate(month: str, out_dir: Path | str, *, n_brukare: int = 300, seed: int = 2023,
             model: str = "norrkoping", progress: Progress | None = None) -> dict:
    """Write a synthetic month of `model` (one of MODELS, each matching config/<model>.yaml) under
    `out_dir`; return its facit (also written as facit.json). Norrköping is built in `norrkoping`,
    the other models in `models`; `progress(description, share done)` hears the Norrköping
    month's stages."""
    if model not in MODELS:
        raise ValueError(f"unknown model '{model}'; choose one of {', '.join(MODELS)}")
    if n_brukare < MIN_BRUKARE:
        raise ValueError(f"n_brukare must be at least {MIN_BRUKARE}")
    if model != "norrkoping":
        return generate_model(model, month, out_dir, n_brukare=n_brukare, seed=seed)
    return generate_norrkoping(month, out_dir, n_brukare=n_brukare, seed=seed,
                               progress=progress or no_progress)


def _size(text: str) -> int:
    """`--brukare`: a number or a name from SIZES."""
    if text in SIZES:
        return SIZES[text]
    if text.isdigit() and int(text) >= MIN_BRUKARE:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"ange ett antal (minst {MIN_BRUKARE}) eller en storlek: {', '.join(SIZES)}")


def main(argv: list[str] | None = None) -> int:
    """`python -m lovkorning.generate MONTH [--model M] [--dir D] [--brukare N] [--seed S]`."""
    parser = argparse.ArgumentParser(prog="python -m lovkorning.generate",
                                     description="Skriver en syntetisk LOV-månad med facit.")
    parser.add_argument("month", help="månad, ÅÅÅÅ-MM")
    parser.add_argument("--model", choices=MODELS, default="norrkoping",
                        help="ersättningsmodell (som config/<modell>.yaml); standard norrkoping")
    parser.add_argument("--dir", type=Path, default=None,
                        help="utdatamapp; standard sample_data (norrkoping) eller sample_data/<modell>")
    parser.add_argument("--brukare", type=_size, default=300,
                        help=f"antal brukare eller en storlek: {', '.join(SIZES)}")
    parser.add_argument("--seed", type=int, default=2023)
    args = parser.parse_args(argv)
    try:
        Period.parse(args.month)
    except ValueError as e:
        parser.error(str(e))
    out = args.dir or (Path("sample_data") if args.model == "norrkoping" else Path("sample_data") / args.model)
    facit = generate(args.month, out, n_brukare=args.brukare, seed=args.seed, model=args.model)
    rows = ", ".join(f"{name}: {count}" for name, count in facit["rows"].items())
    print(f"Skrev {facit['month']} ({args.model}) i {out}: {facit['brukare']} brukare; rader {rows}.")
    return 0
