"""`lovkorning generate`: write a synthetic month (the synth wing) with a progress bar.
"""

from __future__ import annotations

from pathlib import Path

import typer

from .swedish import checked, choice, whole_number
from ..core.period import Period
from . import show
from .common import month_argument, command


@command()
def generate(month: Period = month_argument("Månaden som skapas, ÅÅÅÅ-MM."),
             size: str = typer.Option("small", "--size", metavar="STORLEK",
                                      help="small, norrkoping, stockholm eller sweden, eller ett antal brukare."),
             model: str = typer.Option("norrkoping", "--model", metavar="MODELL",
                                       help="norrkoping, norrtalje, osteraker eller osteraker-insats."),
             seed: int = typer.Option(2023, "--seed", parser=whole_number(), metavar="TAL",
                                      help="Slumpfrö: samma frö ger samma filer."),
             folder: Path = typer.Option(..., "--dir", metavar="MAPP", show_default=False,
                                         help="Mappen som skapas: MAPP/lovkorning.yaml och MAPP/data/…")) -> None:
    """Skapa en syntetisk månad (brukare, beställningar, uppehåll, besök, planterade avvikelser)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn  # lazy: startup

    from ..synth import MIN_BRUKARE, MODELS, SIZES  # lazy: startup (the generator is slow to import)
    from ..synth.scaffold import scaffold  # lazy: startup

    period = month
    size = checked("--size", choice(list(SIZES), f"ett antal brukare, minst {MIN_BRUKARE}",
                                    lambda v: v.isdigit() and int(v) >= MIN_BRUKARE), size)
    model = checked("--model", choice(MODELS), model)
    out = show.console()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"),
                  TimeElapsedColumn(), console=out, transient=not out.is_terminal) as progress:
        head = f"Skapar {period.label} ({size}, {model})"
        task = progress.add_task(head, total=100)

        def stage(description: str, done: float) -> None:   # synth's progress: per stage and chunk
            progress.update(task, description=f"{head}: {description}", completed=round(100 * done))

        facit = scaffold(period.label, folder, size if not size.isdigit() else int(size), model, seed,
                         progress=stage)
        progress.update(task, description=head, completed=100)
    rows = facit.get("rader", facit.get("rows", {}))
    out.print(f"Klart: {folder / 'lovkorning.yaml'} och {folder / 'data'}; "
              f"kör med: lovkorning run {period.label} --config {folder / 'lovkorning.yaml'}")
    if isinstance(rows, dict) and rows:
        out.print(", ".join(f"{k} {v} rader" for k, v in rows.items()))
