"""polars' allocator, tuned for a settlement run before polars is loaded.

polars' runtime allocates with jemalloc, built in and configured once, at its first allocation,
from the `_RJEM_MALLOC_CONF` environment variable: polars' `__init__` writes its own options
first and appends the variable's as it found it (the later option wins; polars issue 18088, pull
request 21829). Those defaults suit a long-lived process with many threads: eight arenas (four
per core), freed memory handed back to the kernel within half a second, and every allocation of
8 MiB or more (a column of a million rows) in an arena that hands it back at once. A run does the
opposite: it allocates and frees columns of the same few sizes, one stage after another, for a
few seconds, and each column handed back is a fresh one the kernel must fault in and zero again:
some 400 000 page faults and 1.2–1.4 s of kernel time in a Stockholm dry run. With one arena, no
separate arena for large allocations and freed memory kept for 2 s, a dry run takes about
255 000 faults and 0.9 s of kernel time and is 0.15–0.2 s faster; peak memory is some 70 MiB
higher at Stockholm and unchanged at Sweden's size (memory kept without a limit instead grew
that peak from 7.2 to 13 GiB). Figures and the alternatives measured are in docs/performance.md.

A user's own `_RJEM_MALLOC_CONF` options come after these, so they win where they differ. What a
parent process that imported polars passes on is polars' own options, not the user's: those are
dropped (polars puts them first again anyway). Once polars is loaded (lovkorning used as a
library) the setting would come too late for this process, so it is not made at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

ENV = "_RJEM_MALLOC_CONF"
OPTIONS = "narenas:1,oversize_threshold:0,dirty_decay_ms:2000,muzzy_decay_ms:2000"
POLARS_OWN = "dirty_decay_ms:500,muzzy_decay_ms:1000"     # what polars' __init__ writes first (polars 2.1)
RUNTIMES = ("polars", "_polars_runtime_32", "_polars_runtime_64", "_polars_runtime_compat")


def tune_allocator(environ: MutableMapping[str, str] = os.environ, loaded=sys.modules) -> bool:
    """Set polars' jemalloc options for this process and the ones it starts, the user's own after
    them, unless polars is already loaded. True when set."""
    if any(name in loaded for name in RUNTIMES):
        return False
    given = environ.get(ENV, "").strip(",")
    while given.startswith(POLARS_OWN):      # passed on by parents that imported polars, each adding it
        given = given[len(POLARS_OWN):].lstrip(",")
    environ[ENV] = ",".join(x for x in (OPTIONS, given) if x)
    return True
