"""`python -m lovkorning.generate …` (Makefile, README): the generator's command line, lovkorning.synth.main."""
from .synth import main

if __name__ == "__main__":
    raise SystemExit(main())
