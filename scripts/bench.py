"""Issue 18's benchmark: our settlement against a hand-written SQL settlement of the same month.

    python scripts/bench.py                         # norrkoping, stockholm, -2x, -4x, -avvikelser; 3 reps
    python scripts/bench.py --quick                 # norrkoping, stockholm, stockholm-avvikelser; 1 rep
    python scripts/bench.py --sizes sweden --reps 1 --no-compare       # make bench-sweden

Sizes (each month 2023-09 from `lovkorning generate --seed 1`, in --dir/<size>/, default bench/):
norrkoping (3 000 brukare), stockholm (20 000), stockholm-2x (40 000), stockholm-4x (80 000),
sweden (250 000), and stockholm-avvikelser: the prepared stockholm month with 40 % of its visits
changed so that each carries one avvikelse (scripts/benchmonth.py, make_heavy: picked by an
integer hash of the `in` row's line with seed 1, split three ways: both events manual and not
corrected → saknar-tagg; the `ut` row dropped → saknar-utcheckning; the `ut` moved to 30 s after
the `in`, under visits.min_minutes → kort-besok). A full run of it must report at least 35 % of
its visits as one of those three, or the bench stops.

Preparing a month (once, untimed, recorded in <size>/bench-month.json): generate it, run it in
full, and remove from its files the lines its avvikelser.csv lists with allvarlighet `fel` (the
generator's planted bad rows, such as minuter "12,5x" or tidpunkt "2023-09-31 25:00", on which the
peer's casts stop); then run again until no `fel` is left. Every timed step reads that cleaned month.

The peer (issue 18) is `peer_duckdb.py CONFIG MONTH`: Norrköping's model as DuckDB SQL over the
CSV files, no outputs, no checks beyond the model. scripts/peer_duckdb.py is a byte-identical copy
of ../shared/bench/peer_duckdb.py (kept identical, so its origin is said here and not in it); if
the shared file exists and differs, the bench runs the shared one and says so. It runs in its own
environment, .venv-bench (python -m venv; pip install duckdb pyyaml; made if missing), so that
duckdb is no dependency of lovkorning. Its total öre is compared with our full run's (manifest.json
totals, every utförare): "peer agrees" is informational, since our run rejects and checks more.

Each repetition runs, one after the other and each in a fresh process: `polars.read_csv` of the
month's files (every *.csv under data/, as text), lean (below), the peer, `lovkorning run
--dry-run` (read, validate, settle; writes nothing), `lovkorning explain --utforare` for the
utförare with the most tag events (its table to a file; issue 16), a full `lovkorning run
--datum 2023-10-09` into empty out/ and state/ folders, and `lovkorning compare` of the month under
its config and config/norrkoping-utford.yaml (issue 16; --no-compare leaves it out).

What is timed, the same for every step, ours and the peer's: the wall clock from just before the
child process is spawned until it has exited (os.wait4), so its interpreter start, imports
(polars' about 0.25 s, duckdb's) and reading the config count for all. A small launcher process
(LAUNCHER) spawns and times each child, so that this process's own memory does not show in the
child's peak. Peak MiB and CPU seconds come from the child's rusage at exit (ru_maxrss: the
largest resident set of the child or of any process it waited for; user + system seconds of
every thread). The peer's own figure (`peer seconds`, which leaves out its interpreter start and
imports) is kept in results.json as peer_inner_s, and so is read_csv's reading alone, without
its start and polars import (read_csv_inner_s, "read_csv inner s" in the second table). The
bench before issue 18 started its timer inside the step's process, after interpreter start but
before the imports.

It prints the medians of --reps repetitions in one table (size, events, dry s, full s, peak MiB
of the full run, read_csv s, peer s, dry/peer, dry/read_csv, s per million tag events for the dry
and the full run, and for stockholm-2x and -4x that figure as a ratio to stockholm's: linear
within 10 % is ≤ 1.10), then a second table (issue 16's explain and compare, CPU seconds, lean,
peer agreement). Ratios are medians of each repetition's own ratio. The date, the machine and the
versions head the output and every entry of results.json (one entry per size, merged with earlier
runs).

Lean: the least a settlement from tag events can do, as one lazy polars query: read the tag log,
parse its times, sort by brukare and time, pair each `in` with the next `ut`, sum the seconds per
utförare. No validation, no findings, no rules: a floor, not a competitor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
from ruamel.yaml import YAML

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchmonth  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2023-09"
RUN_DAY = "2023-10-09"
# B of `compare`: RAM-tid on utförd tid capped per order, the generated month's other rules as they
# are (its inputs section is not read); settling it costs more than Norrköping's beviljad tid
COMPARE_WITH = ROOT / "config" / "norrkoping-utford.yaml"
PEER_VENDORED = ROOT / "scripts" / "peer_duckdb.py"
PEER_SHARED = ROOT.parent / "shared" / "bench" / "peer_duckdb.py"
PEER_VENV = ROOT / ".venv-bench"
# size → `lovkorning generate --size`; a variant is made from another size's prepared month
GENERATED = {"norrkoping": "norrkoping", "stockholm": "stockholm", "stockholm-2x": "40000",
             "stockholm-4x": "80000", "sweden": "sweden"}
VARIANTS = {"stockholm-avvikelser": "stockholm"}
LINEAR_BASE = {"stockholm-2x": "stockholm", "stockholm-4x": "stockholm"}
DEFAULT_SIZES = ["norrkoping", "stockholm", "stockholm-2x", "stockholm-4x", "stockholm-avvikelser"]
QUICK_SIZES = ["norrkoping", "stockholm", "stockholm-avvikelser"]
HEAVY_SHARE, HEAVY_AT_LEAST = 0.40, 0.35
MARKER = "bench-month.json"

READ_CSV = """
import pathlib, sys, time
import polars as pl
t = time.perf_counter()
for f in sorted(pathlib.Path({data!r}).rglob("*.csv")):
    pl.read_csv(f, separator=";", infer_schema=False)
print("inner seconds:", time.perf_counter() - t, file=sys.stderr)
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
import sys
from lovkorning.cli import main
sys.argv = ["lovkorning", *{args!r}]
main()
"""


# Started by Step for each timed child, so that the child's peak memory is its own: a process
# spawned straight from this one inherits this one's peak (Linux keeps the peak of the image a
# process replaces at exec), and this one holds the months it prepared. The launcher is small and
# times its child itself: interpreter start and imports of the child count, the launcher's do not.
LAUNCHER = """
import os, sys, time
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, u = os.wait4(pid, 0)
wall = time.perf_counter() - t
with open(sys.argv[1], "w") as f:
    f.write(f"{wall} {os.waitstatus_to_exitcode(status)} {u.ru_maxrss} {u.ru_utime + u.ru_stime}")
"""


class Step:
    """One child process: wall seconds, peak MiB, CPU seconds, exit code, stdout and stderr."""

    def __init__(self, cmd: list[str]):
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                tempfile.NamedTemporaryFile("r", suffix=".bench") as res:
            subprocess.run([sys.executable, "-S", "-c", LAUNCHER, res.name, *cmd], stdout=out, stderr=err,
                           check=True)
            wall, code, peak_kib, cpu = res.read().split()
            self.wall, self.code, self.peak_mib, self.cpu = float(wall), int(code), int(peak_kib) / 1024, float(cpu)
            out.seek(0)
            err.seek(0)
            self.stdout, self.stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")

    def ok(self, what: str) -> Step:
        if self.code != 0:
            raise SystemExit(f"benchmark step {what} failed (exit {self.code}):\n{self.stderr[-3000:]}")
        return self


def python(body: str) -> Step:
    return Step([sys.executable, "-c", body])


def lovkorning(*args: str) -> Step:
    return python(CLI.format(args=list(args))).ok(" ".join(args[:2]))


# -- the peer ---------------------------------------------------------------------------------------

def peer_script() -> Path:
    if PEER_SHARED.exists() and not filecmp.cmp(PEER_SHARED, PEER_VENDORED, shallow=False):
        print(f"note: {PEER_SHARED} differs from scripts/peer_duckdb.py: the bench runs the shared one")
        return PEER_SHARED
    return PEER_VENDORED


def peer_python() -> Path:
    """.venv-bench's interpreter, the environment made (as `make bench` does) if it is missing."""
    exe = PEER_VENV / "bin" / "python"
    if not (PEER_VENV / ".installed").exists():
        print(f"making {PEER_VENV.name} for the peer (python -m venv; pip install duckdb pyyaml) …", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(exe), "-m", "pip", "install", "--quiet", "duckdb", "pyyaml"], check=True)
        (PEER_VENV / ".installed").touch()
    return exe


def peer_agreement(peer: dict[str, int], manifest: Path) -> dict:
    ours = {u: t["ore"] for u, t in json.loads(manifest.read_text(encoding="utf-8"))["totals"].items()}
    differ = sorted(u for u in ours.keys() | peer.keys() if ours.get(u, 0) != peer.get(u, 0))
    diff = sum(peer.values()) - sum(ours.values())
    return {"peer_total_ore": sum(peer.values()), "our_total_ore": sum(ours.values()), "peer_diff_ore": diff,
            "peer_utforare_differ": len(differ), "peer_agrees": diff == 0 and not differ}


# -- the machine ------------------------------------------------------------------------------------

def machine(peer_exe: Path) -> dict:
    mem_kib = next(int(ln.split()[1]) for ln in Path("/proc/meminfo").read_text().splitlines()
                   if ln.startswith("MemTotal:"))
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    duckdb = subprocess.run([str(peer_exe), "-c", "import duckdb; print(duckdb.__version__)"],
                            capture_output=True, text=True).stdout.strip()
    return {"date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": platform.machine(), "cpu": cpu, "nproc": os.cpu_count(),
            "ram_gib": round(mem_kib / 2**20, 1), "python": platform.python_version(),
            "polars": pl.__version__, "duckdb": duckdb, "load_avg_1m": round(os.getloadavg()[0], 2)}


# -- preparing a month ------------------------------------------------------------------------------

def full_run(folder: Path) -> Path:
    """A full run of the month into empty out/ and state/; its output folder."""
    for d in ("out", "state"):
        shutil.rmtree(folder / d, ignore_errors=True)
    lovkorning("run", MONTH, "--config", str(folder / "lovkorning.yaml"), "--datum", RUN_DAY)
    return folder / "out" / MONTH


def clean(folder: Path) -> dict[str, list[int]]:
    """Remove the lines a run rejects (`fel`) until a run rejects none; {file: lines removed}."""
    removed: dict[str, list[int]] = {}
    for _ in range(3):
        bad = benchmonth.fel_rows(full_run(folder) / "avvikelser.csv")
        if not bad:
            return removed
        for fil, lines in bad.items():
            path = next((p for p in (folder / "data" / MONTH / fil, folder / "data" / fil) if p.exists()), None)
            if path is None:
                raise SystemExit(f"{folder}: avvikelser.csv names {fil}, found neither in data/{MONTH} nor data/")
            benchmonth.drop_lines(path, lines)
            removed.setdefault(fil, []).extend(sorted(lines))
        print("  removed rows with fel: " + ", ".join(f"{f} {len(v)}" for f, v in bad.items()), flush=True)
    raise SystemExit(f"{folder}: still rows with fel after three passes")


def heavy(folder: Path, base: Path) -> dict:
    """stockholm-avvikelser: base's prepared month with HEAVY_SHARE of its visits changed."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    shutil.copy2(base / "lovkorning.yaml", folder / "lovkorning.yaml")
    shutil.copytree(base / "data", folder / "data")
    cfg = YAML(typ="safe").load((folder / "lovkorning.yaml").read_text(encoding="utf-8"))
    tags = folder / "data" / MONTH / "taggningar.csv"
    made = benchmonth.make_heavy(base / "data" / MONTH / "taggningar.csv", tags,
                                 cfg["visits"]["min_minutes"], share=HEAVY_SHARE, seed=1)
    avv = pl.read_csv(full_run(folder) / "avvikelser.csv", separator=";", infer_schema=False)
    found = {k: avv.filter(pl.col("kod") == k).height for k in benchmonth.KINDS}
    share = sum(found.values()) / made["visits"]
    print(f"  {folder.name}: changed {made['changed']:,} of {made['visits']:,} visits; the full run reports "
          + ", ".join(f"{k} {n:,}" for k, n in found.items())
          + f": {share:.1%} of the visits ({avv.height:,} avvikelser in all)", flush=True)
    if share < HEAVY_AT_LEAST or avv.filter(pl.col("allvarlighet") == "fel").height:
        raise SystemExit(f"{folder}: expected ≥ {HEAVY_AT_LEAST:.0%} of visits with an avvikelse and no fel")
    return {"variant_of": base.name, "changed_visits": made, "avvikelser_found": found,
            "avvikelse_share": share, "avvikelser_rows": avv.height}


def count_events(tags: Path) -> int:
    with tags.open("rb") as f:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b"")) - 1


def prepare(size: str, base: Path) -> tuple[Path, dict]:
    folder = base / size
    marker = folder / MARKER
    if marker.exists():
        return folder, json.loads(marker.read_text())
    print(f"preparing {size} (untimed) …", flush=True)
    if size in VARIANTS:
        source, _ = prepare(VARIANTS[size], base)
        info = heavy(folder, source)
    else:
        if not (folder / "lovkorning.yaml").exists():
            print(f"  generating {size} …", flush=True)
            lovkorning("generate", MONTH, "--size", GENERATED[size], "--seed", "1", "--dir", str(folder))
        info = {"generated": f"lovkorning generate {MONTH} --size {GENERATED[size]} --seed 1",
                "removed_fel_rows": clean(folder)}
    info["tag_events"] = count_events(folder / "data" / MONTH / "taggningar.csv")
    for d in ("out", "state"):
        shutil.rmtree(folder / d, ignore_errors=True)
    marker.write_text(json.dumps(info, indent=2) + "\n")
    return folder, info


# -- measuring --------------------------------------------------------------------------------------

def largest_utforare(tags: Path) -> str:
    """The utförare with the most tag events: the largest `explain --utforare` of the month."""
    counts = pl.scan_csv(tags, separator=";", infer_schema=False).group_by("utforare_id").len().collect()
    return counts.sort("len", "utforare_id", descending=[True, False])["utforare_id"][0]


def one_rep(folder: Path, largest: str, peer: list[str], with_compare: bool) -> dict[str, Step]:
    cfg = str(folder / "lovkorning.yaml")
    for d in ("out", "state"):
        shutil.rmtree(folder / d, ignore_errors=True)
    res = {"read_csv": python(READ_CSV.format(data=str(folder / "data"))).ok("read_csv"),
           "lean": python(LEAN.format(tags=str(folder / "data" / MONTH / "taggningar.csv"))).ok("lean"),
           "peer": Step([*peer, cfg, MONTH]).ok("peer"),
           "dry_run": lovkorning("run", MONTH, "--config", cfg, "--dry-run"),
           "explain": lovkorning("explain", MONTH, "--config", cfg, "--utforare", largest),
           "full_run": lovkorning("run", MONTH, "--config", cfg, "--datum", RUN_DAY)}
    if with_compare:
        res["compare"] = lovkorning("compare", MONTH, "--config", cfg, "--with", str(COMPARE_WITH))
    return res


def said(runs: list[dict[str, Step]], key: str, tag: str) -> list[float]:
    """The figure each repetition's step `key` printed to stderr after `tag`."""
    return [float(ln.split(":")[1]) for r in runs for ln in r[key].stderr.splitlines() if ln.startswith(tag)]


def bench(size: str, reps: int, base: Path, peer: list[str], with_compare: bool, host: dict) -> dict:
    folder, info = prepare(size, base)
    events = info["tag_events"]
    largest = largest_utforare(folder / "data" / MONTH / "taggningar.csv")
    runs = []
    for i in range(reps):
        r = one_rep(folder, largest, peer, with_compare)
        runs.append(r)
        print(f"  {size} rep {i + 1}: " + ", ".join(f"{k} {s.wall:.2f} s ({s.cpu:.1f} CPU s, {s.peak_mib:.0f} MiB)"
                                                   for k, s in r.items()), flush=True)
    med = lambda key, attr="wall": statistics.median(getattr(r[key], attr) for r in runs)  # noqa: E731
    ratio = lambda a, b: statistics.median(r[a].wall / r[b].wall for r in runs)  # noqa: E731
    last = runs[-1]
    agree = peer_agreement(json.loads(last["peer"].stdout), folder / "out" / MONTH / "manifest.json")
    peer_inner, read_inner = said(runs, "peer", "peer seconds:"), said(runs, "read_csv", "inner seconds:")
    cmp = {"compare_s": med("compare"), "compare_peak_mib": med("compare", "peak_mib"),
           "compare_cpu_s": med("compare", "cpu"), "ratio_compare_to_dry_run": ratio("compare", "dry_run")
           } if with_compare else {}
    return {"size": size, "tag_events": events, "reps": reps, "month": info,
            "dry_run_s": med("dry_run"), "full_run_s": med("full_run"),
            "full_run_peak_mib": med("full_run", "peak_mib"), "dry_run_peak_mib": med("dry_run", "peak_mib"),
            "read_csv_s": med("read_csv"), "peer_s": med("peer"),
            "peer_inner_s": statistics.median(peer_inner) if peer_inner else None,
            "read_csv_inner_s": statistics.median(read_inner), "peer_peak_mib": med("peer", "peak_mib"),
            "ratio_dry_run_to_peer": ratio("dry_run", "peer"),
            "ratio_dry_run_to_read_csv": ratio("dry_run", "read_csv"),
            "ratio_full_run_to_peer": ratio("full_run", "peer"),
            "s_per_million_events_dry_run": med("dry_run") / events * 1e6,
            "s_per_million_events_full_run": med("full_run") / events * 1e6,
            "dry_run_cpu_s": med("dry_run", "cpu"), "full_run_cpu_s": med("full_run", "cpu"),
            "peer_cpu_s": med("peer", "cpu"), "read_csv_cpu_s": med("read_csv", "cpu"), "lean_s": med("lean"),
            "ratio_lean_to_read_csv": ratio("lean", "read_csv"),
            "explain_utforare": largest, "explain_s": med("explain"), "explain_peak_mib": med("explain", "peak_mib"),
            "ratio_explain_to_dry_run": ratio("explain", "dry_run"), **agree, **cmp, "machine": host}


# -- printing ---------------------------------------------------------------------------------------

def linearity(results: list[dict]) -> None:
    """For 2× and 4× Stockholm: their s per M events as a ratio to Stockholm's (this run's)."""
    by = {r["size"]: r for r in results}
    for r in results:
        one = by.get(LINEAR_BASE.get(r["size"], ""))
        if one:
            r["linearity_dry_run"] = r["s_per_million_events_dry_run"] / one["s_per_million_events_dry_run"]
            r["linearity_full_run"] = r["s_per_million_events_full_run"] / one["s_per_million_events_full_run"]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
                     for row in rows)


def report(results: list[dict], reps: int, host: dict) -> None:
    print(f"\n{host['date_utc']} · {host['machine']}, {host['cpu']}, {host['nproc']} cores, {host['ram_gib']} GiB"
          f" · Python {host['python']}, polars {host['polars']}, duckdb {host['duckdb']} (peer)"
          f" · load {host['load_avg_1m']} at start · medians of {reps}\n")
    lin = lambda r: (f"{r['linearity_dry_run']:.2f} / {r['linearity_full_run']:.2f}"  # noqa: E731
                     if "linearity_dry_run" in r else "–")
    print(table([["size", "events", "dry s", "full s", "peak MiB", "read_csv s", "peer s", "dry/peer",
                  "dry/read_csv", "s/M ev dry / full", "× stockholm"]] +
                [[r["size"], f"{r['tag_events']:,}", f"{r['dry_run_s']:.2f}", f"{r['full_run_s']:.2f}",
                  f"{r['full_run_peak_mib']:.0f}", f"{r['read_csv_s']:.2f}", f"{r['peer_s']:.2f}",
                  f"{r['ratio_dry_run_to_peer']:.2f}", f"{r['ratio_dry_run_to_read_csv']:.1f}",
                  f"{r['s_per_million_events_dry_run']:.2f} / {r['s_per_million_events_full_run']:.2f}", lin(r)]
                 for r in results]))
    print()
    print(table([["size", "explain s", "explain/dry", "compare s", "compare/dry", "dry CPU s", "dry MiB",
                  "read_csv inner s", "lean s", "peer MiB", "peer agrees"]] +
                [[r["size"], f"{r['explain_s']:.2f}", f"{r['ratio_explain_to_dry_run']:.2f}",
                  f"{r['compare_s']:.2f}" if "compare_s" in r else "–",
                  f"{r['ratio_compare_to_dry_run']:.2f}" if "compare_s" in r else "–",
                  f"{r['dry_run_cpu_s']:.2f}", f"{r['dry_run_peak_mib']:.0f}", f"{r['read_csv_inner_s']:.2f}",
                  f"{r['lean_s']:.2f}",
                  f"{r['peer_peak_mib']:.0f}",
                  "ja" if r["peer_agrees"] else
                  f"nej ({r['peer_diff_ore']:+,} öre, {r['peer_utforare_differ']} utförare)"]
                 for r in results]))
    for r in results:
        if "linearity_dry_run" in r:
            ok = "ja" if max(r["linearity_dry_run"], r["linearity_full_run"]) <= 1.10 else "nej"
            print(f"{r['size']}: s per M events {lin(r)} × stockholm's (dry / full); linear within 10 %: {ok}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", nargs="+", choices=[*GENERATED, *VARIANTS], help=f"default: {' '.join(DEFAULT_SIZES)}")
    ap.add_argument("--quick", action="store_true", help=f"{' '.join(QUICK_SIZES)}, one repetition")
    ap.add_argument("--reps", type=int, help="repetitions (default 3, 1 with --quick)")
    ap.add_argument("--dir", type=Path, default=ROOT / "bench")
    ap.add_argument("--no-compare", action="store_true", help="leave lovkorning compare out")
    args = ap.parse_args()
    sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    reps = args.reps or (1 if args.quick else 3)
    script = peer_script()
    peer = [str(peer_python()), str(script)]
    host = machine(Path(peer[0])) | {"peer": str(script.relative_to(ROOT.parent) if script == PEER_SHARED
                                                  else script.relative_to(ROOT))}
    results = [bench(s, reps, args.dir, peer, not args.no_compare, host) for s in sizes]
    linearity(results)
    report(results, reps, host)
    path = args.dir / "results.json"       # one entry per size: a sweden run keeps the others' figures
    earlier = json.loads(path.read_text()) if path.exists() else []
    merged = {r["size"]: r for r in earlier} | {r["size"]: r for r in results}
    path.write_text(json.dumps(list(merged.values()), indent=2, ensure_ascii=False) + "\n")
    print(f"(written to {path})")


if __name__ == "__main__":
    main()
