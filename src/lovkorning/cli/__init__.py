"""The command line: one module per command, each parsing its options, calling the library once and
showing the result; errors become Swedish messages and the contract's exit codes (0 done, 1 input or
config errors, 2 usage, 3 refused). `main` is the `lovkorning` entry point."""

from __future__ import annotations

import gc
import os
import sys

from .allocator import tune_allocator

tune_allocator()    # before polars is loaded: its allocator reads the options once, at its first allocation
# Importing makes some 100 000 objects that live as long as the process; collecting while they are
# made walks them over and over (some 140 collections, 0.05 s of a run's start). Collection resumes
# after the imports with those objects frozen (never walked again), as main() does with its own.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    import polars as pl

    from ..core.errors import EXIT_INPUT, Fel, Plats, os_cause
    from .common import app
    # Each command module registers its command on `app`, in the order `--help` lists them.
    from . import run, validate, diff, explain, compare, schedule, generate, check_config  # noqa: F401
finally:
    gc.freeze()
    if _COLLECTING:
        gc.enable()

__all__ = ["app", "main"]


def main() -> None:
    os.umask(0o077)   # everything the run creates (outputs, ledger, history, lock) is the owner's only
    gc.freeze()       # the modules' objects live as long as the process: no collection need walk them again
    try:
        app(prog_name="lovkorning")       # also when started as python -m or -c
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except (Exception, pl.exceptions.PanicException) as exc:  # never a traceback: it could carry a personnummer
        if os.environ.get("LOVKORNING_DEBUG"):
            raise
        if isinstance(exc, OSError):          # a full disk, a forbidden folder: what to fix, not "internal"
            cause, remedy = os_cause(exc)
            fel = Fel(f"En fil eller mapp kunde inte skrivas eller läsas: {cause}. Inget betalades; {remedy} och "
                      "försök igen.", Plats(str(exc.filename) if exc.filename else None))
            print(f"FEL: {fel}", file=sys.stderr)
        else:
            print(f"Internt fel ({type(exc).__name__}). Inget betalades. Kör med LOVKORNING_DEBUG=1 för detaljer.",
                  file=sys.stderr)
        sys.exit(EXIT_INPUT)
