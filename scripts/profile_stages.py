"""Where a settlement's time and memory go, stage by stage (one run, in this process).

    python scripts/profile_stages.py bench/stockholm          # a folder with lovkorning.yaml
    python scripts/profile_stages.py bench/stockholm --month 2023-09

It wraps the pipeline's own stage functions with a timer, settles the month once as `run
--dry-run` does (settle.month.settle_month: nothing is written) and prints, per stage, the wall
seconds summed over its calls, the CPU seconds of the process meanwhile (every thread: more than
the wall seconds where polars works on both cores) and the resident memory after it. A profile, not a benchmark:
use scripts/bench.py for medians.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import argparse  # noqa: E402
import functools  # noqa: E402
import os  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from lovkorning.read import indata  # noqa: E402
from lovkorning.settle import month as settling  # noqa: E402
from lovkorning.visits import pairing as visits  # noqa: E402
from lovkorning.config.loaded import load  # noqa: E402
from lovkorning.core.period import Period  # noqa: E402

IMPORTS = time.perf_counter() - T0

# (module, function, label): the module is where the caller looks the name up (settle.month imports
# the settle and check functions by name)
STAGES = [
    (indata, "read_table", "read files (CSV/xlsx → frames)"),
    (indata, "parse_frame", "type and check rows"),
    (visits, "declined", "declined visits"),
    (visits, "order_events", "pairing: sort events"),
    (visits, "drop_duplicates", "pairing: duplicates"),
    (visits, "mark_pairs", "pairing: pairs and lone events"),
    (visits, "build_visits", "visits: build and number"),
    (visits, "insats_lists", "visits: insatser lists"),
    (visits, "check_visits", "visits: checks"),
    (visits, "split_insatser", "visit × insats"),
    (visits, "plain", "back to text"),
    (visits, "lone_findings", "lone-event findings"),
    (settling, "context", "beviljad lines (context)"),
    (settling, "apply_rules", "rules → money lines"),
    (settling, "time_table", "time table"),
    (settling, "adjustments", "adjustments"),
    (settling, "visit_findings", "visit findings"),
    (settling, "order_rule_findings", "order and rule findings"),
    (settling, "plan_findings", "plan findings"),
    (settling, "fee_findings", "fee findings (over-antal)"),
]


def rss_mib() -> tuple[int, int]:
    """(current, peak) resident memory of this process in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
                  if line.startswith(("VmRSS", "VmHWM")))
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024


def cpu() -> float:
    """User + system CPU seconds of this process so far, every thread."""
    t = os.times()
    return t.user + t.system


def wrap(spent: dict[str, list[float]], module, name: str, label: str) -> None:
    inner = getattr(module, name)

    @functools.wraps(inner)
    def timed(*args, **kwargs):
        t, c = time.perf_counter(), cpu()
        try:
            return inner(*args, **kwargs)
        finally:
            spent.setdefault(label, []).append(time.perf_counter() - t)
            spent.setdefault(f"{label}:cpu", []).append(cpu() - c)
            spent.setdefault(f"{label}:rss", []).append(rss_mib()[0])

    setattr(module, name, timed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--month", default="2023-09")
    args = ap.parse_args()
    spent: dict[str, list[float]] = {}
    for module, name, label in STAGES:
        wrap(spent, module, name, label)
    cfg = load(args.folder / "lovkorning.yaml")
    year, month = map(int, args.month.split("-"))
    t, c = time.perf_counter(), cpu()
    settling.settle_month(cfg, Period(year, month), date.today())
    total, total_cpu = time.perf_counter() - t, cpu() - c
    print(f"{'stage':<34}{'calls':>6}{'seconds':>9}{'CPU s':>7}{'RSS MiB':>9}")
    print(f"{'imports':<34}{1:>6}{IMPORTS:>9.2f}")
    for _, _, label in STAGES:
        if label in spent:
            print(f"{label:<34}{len(spent[label]):>6}{sum(spent[label]):>9.2f}{sum(spent[label + ':cpu']):>7.2f}"
                  f"{max(spent[label + ':rss']):>9}")
    labels = [label for _, _, label in STAGES if label in spent]
    staged = sum(sum(spent[label]) for label in labels)
    staged_cpu = sum(sum(spent[f"{label}:cpu"]) for label in labels)
    print(f"{'other (checks between stages …)':<34}{'':>6}{total - staged:>9.2f}{total_cpu - staged_cpu:>7.2f}")
    print(f"{'settle_month total':<34}{'':>6}{total:>9.2f}{total_cpu:>7.2f}{'':>9}   peak {rss_mib()[1]} MiB")


if __name__ == "__main__":
    main()
