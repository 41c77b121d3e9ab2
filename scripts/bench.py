"""The benchmark of ../shared/spec/targets.md: medians of several runs, ratios measured in the same run.

    python scripts/bench.py                       # norrkoping and stockholm, 3 repetitions each
    python scripts/bench.py --sizes sweden --reps 1

For each size it generates a month once (bench/<size>/, seed 1), then per repetition, each in a
fresh process: `polars.read_csv` of the month's files (the floor), `lovkorning run --dry-run`
(read, validate, settle; writes nothing), `lovkorning explain --utforare` for the utförare with
the most tag events (the table, to a pipe; issue 16: within 1.5 × the dry run), `lovkorning
compare` of the month under its config and under `config/norrkoping-utford.yaml` (the month read
once and settled twice; writes nothing) and a full `lovkorning run` into an empty output and state
folder. It prints the medians of wall time and peak memory (the largest resident set of the
process or any process it started), the ratios dry-run / read_csv, explain / dry-run and
compare / dry-run (issue 16: at most 2.2), and seconds per million tag events, so that growth
with size can be read off two sizes. `--no-compare` leaves compare out (make bench-sweden: its B
peaks at twice a dry run's memory).

Two more figures say how far the dry run is from what the machine can do at all:
- its CPU seconds (user + system, every thread): on two cores the dry run cannot take less
  wall time than half of them, however well its work were spread;
- `lean`: the least a settlement from tag events can do, as one lazy polars query: read the tag
  log, parse its times, sort by brukare and time, pair each `in` with the next `ut` and sum the
  seconds per utförare. No validation, no findings, no rules: a floor, not a competitor.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2023-09"
RUN_DAY = "2023-10-09"
# B of `compare`: RAM-tid on utförd tid capped per order, the generated month's other rules as they
# are (its inputs section is not read); settling it costs more than Norrköping's beviljad tid
COMPARE_WITH = ROOT / "config" / "norrkoping-utford.yaml"

MEASURE = r"""
import resource, sys, time
t = time.perf_counter()
{body}
wall = time.perf_counter() - t
usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
peak = max(u.ru_maxrss for u in usage)
cpu = sum(u.ru_utime + u.ru_stime for u in usage)
print("BENCH", wall, peak, cpu, file=sys.stderr)
"""

READ_CSV = """
import polars as pl, pathlib
for f in sorted(pathlib.Path({data!r}).rglob("*.csv")):
    pl.read_csv(f, separator=";", infer_schema=False)
"""

LEAN = """
import polars as pl
sec = (pl.col("ut") - pl.col("tidpunkt")).dt.total_seconds()
(pl.scan_csv({tags!r}, separator=";", infer_schema=False)
   .select(pl.col("brukare_id").cast(pl.Categorical), "utforare_id", "typ",
           pl.col("tidpunkt").str.to_datetime("%Y-%m-%d %H:%M:%S", strict=False, cache=False))
   .sort("brukare_id", "tidpunkt")
   .with_columns(pl.col("tidpunkt").shift(-1).alias("ut"), pl.col("typ").shift(-1).alias("typ_ut"),
                 pl.col("brukare_id").shift(-1).alias("brukare_ut"))
   .filter((pl.col("typ") == "in") & (pl.col("typ_ut") == "ut") & (pl.col("brukare_ut") == pl.col("brukare_id")))
   .group_by("utforare_id").agg(sec.sum())
   .collect())
"""

CLI = """
from lovkorning.cli import main
sys.argv = ["lovkorning", *{args!r}]
try:
    main()
except SystemExit as e:
    if e.code:
        raise
"""


def measure(body: str) -> tuple[float, float, float]:
    """(wall seconds, peak MiB, CPU seconds) of `body` run in a fresh Python process."""
    r = subprocess.run([sys.executable, "-c", MEASURE.format(body=body)], capture_output=True, text=True)
    line = next((ln for ln in r.stderr.splitlines() if ln.startswith("BENCH ")), None)
    if r.returncode != 0 or line is None:
        raise SystemExit(f"benchmark step failed:\n{r.stderr[-2000:]}")
    _, wall, peak_kib, cpu = line.split()
    return float(wall), float(peak_kib) / 1024, float(cpu)


def largest_utforare(tags: Path) -> str:
    """The utförare with the most tag events: the largest `explain --utforare` of the month."""
    counts = pl.scan_csv(tags, separator=";", infer_schema=False).group_by("utforare_id").len().collect()
    return counts.sort("len", "utforare_id", descending=[True, False])["utforare_id"][0]


def prepare(size: str, base: Path) -> tuple[Path, int]:
    folder = base / size
    if not (folder / "lovkorning.yaml").exists():
        print(f"generating {size} …", flush=True)
        subprocess.run([sys.executable, "-c", "from lovkorning.cli import main; main()", "generate", MONTH,
                        "--size", size, "--seed", "1", "--dir", str(folder)], check=True)
    tags = folder / "data" / MONTH / "taggningar.csv"
    with tags.open("rb") as f:
        events = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1
    return folder, events


def one_rep(folder: Path, largest: str, with_compare: bool = True) -> dict[str, tuple[float, float, float]]:
    cfg = str(folder / "lovkorning.yaml")
    for d in ("out", "state"):
        shutil.rmtree(folder / d, ignore_errors=True)
    res = {"read_csv": measure(READ_CSV.format(data=str(folder / "data"))),
           "lean": measure(LEAN.format(tags=str(folder / "data" / MONTH / "taggningar.csv"))),
           "dry_run": measure(CLI.format(args=["run", MONTH, "--config", cfg, "--dry-run"])),
           "explain": measure(CLI.format(args=["explain", MONTH, "--config", cfg, "--utforare", largest])),
           "full_run": measure(CLI.format(args=["run", MONTH, "--config", cfg, "--datum", RUN_DAY]))}
    if with_compare:
        res["compare"] = measure(CLI.format(args=["compare", MONTH, "--config", cfg, "--with", str(COMPARE_WITH)]))
    return res


def bench(size: str, reps: int, base: Path, with_compare: bool = True) -> dict:
    folder, events = prepare(size, base)
    largest = largest_utforare(folder / "data" / MONTH / "taggningar.csv")
    runs = []
    for i in range(reps):
        r = one_rep(folder, largest, with_compare)
        runs.append(r)
        print(f"  {size} rep {i + 1}: read_csv {r['read_csv'][0]:.2f} s, lean {r['lean'][0]:.2f} s, "
              f"dry-run {r['dry_run'][0]:.2f} s ({r['dry_run'][2]:.2f} CPU s, {r['dry_run'][1]:.0f} MiB), "
              f"explain {largest} {r['explain'][0]:.2f} s ({r['explain'][1]:.0f} MiB), "
              + (f"compare {r['compare'][0]:.2f} s ({r['compare'][2]:.2f} CPU s, {r['compare'][1]:.0f} MiB), "
                 if with_compare else "") +
              f"full run {r['full_run'][0]:.2f} s ({r['full_run'][1]:.0f} MiB)", flush=True)
    med = lambda key, i: statistics.median(r[key][i] for r in runs)  # noqa: E731
    cmp = {"compare_s": med("compare", 0), "compare_peak_mib": med("compare", 1), "compare_cpu_s": med("compare", 2),
           "ratio_compare_to_dry_run": statistics.median(r["compare"][0] / r["dry_run"][0] for r in runs)
           } if with_compare else {}
    return {"size": size, "tag_events": events, "reps": reps,
            "read_csv_s": med("read_csv", 0), "dry_run_s": med("dry_run", 0), "full_run_s": med("full_run", 0),
            "dry_run_peak_mib": med("dry_run", 1), "full_run_peak_mib": med("full_run", 1),
            "lean_s": med("lean", 0), "read_csv_cpu_s": med("read_csv", 2), "dry_run_cpu_s": med("dry_run", 2),
            "explain_utforare": largest, "explain_s": med("explain", 0), "explain_peak_mib": med("explain", 1),
            "ratio_explain_to_dry_run": statistics.median(r["explain"][0] / r["dry_run"][0] for r in runs),
            "ratio_lean_to_read_csv": statistics.median(r["lean"][0] / r["read_csv"][0] for r in runs),
            "ratio_dry_run_to_read_csv": statistics.median(r["dry_run"][0] / r["read_csv"][0] for r in runs),
            "s_per_million_events_dry_run": med("dry_run", 0) / events * 1e6,
            "s_per_million_events_full_run": med("full_run", 0) / events * 1e6} | cmp


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", default=["norrkoping", "stockholm"])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--dir", type=Path, default=ROOT / "bench")
    ap.add_argument("--no-compare", action="store_true", help="leave lovkorning compare out")
    args = ap.parse_args()
    results = [bench(s, args.reps, args.dir, not args.no_compare) for s in args.sizes]
    print(f"\n{'size':<12}{'events':>11}{'read_csv s':>12}{'dry-run s':>11}{'ratio':>7}{'full s':>9}"
          f"{'peak MiB':>10}{'s/M events':>12}{'dry CPU s':>11}{'lean s':>8}{'lean ratio':>11}"
          f"{'explain s':>11}{'÷ dry':>7}{'compare s':>11}{'cmp/dry':>9}")
    for r in results:
        print(f"{r['size']:<12}{r['tag_events']:>11,}{r['read_csv_s']:>12.2f}{r['dry_run_s']:>11.2f}"
              f"{r['ratio_dry_run_to_read_csv']:>7.1f}{r['full_run_s']:>9.2f}{r['full_run_peak_mib']:>10.0f}"
              f"{r['s_per_million_events_dry_run']:>12.2f}{r['dry_run_cpu_s']:>11.2f}{r['lean_s']:>8.2f}"
              f"{r['ratio_lean_to_read_csv']:>11.1f}{r['explain_s']:>11.2f}{r['ratio_explain_to_dry_run']:>7.2f}"
              + (f"{r['compare_s']:>11.2f}{r['ratio_compare_to_dry_run']:>9.2f}"
                 if "compare_s" in r else f"{'–':>11}{'–':>9}"))
    path = args.dir / "results.json"       # one entry per size: a sweden run keeps the others' figures
    earlier = json.loads(path.read_text()) if path.exists() else []
    merged = {r["size"]: r for r in earlier} | {r["size"]: r for r in results}
    path.write_text(json.dumps(list(merged.values()), indent=2) + "\n")
    print(f"(medians of {args.reps}; written to {args.dir / 'results.json'})")


if __name__ == "__main__":
    main()
