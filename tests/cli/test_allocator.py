"""The command line sets polars' jemalloc options before polars is loaded, and only then."""

import os
import subprocess
import sys

from lovkorning.cli.allocator import ENV, OPTIONS, tune_allocator


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def _env_without(name: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != name}


def test_set_for_a_fresh_process_only():
    env: dict[str, str] = {}
    assert tune_allocator(env, loaded={})
    assert env == {ENV: OPTIONS}
    own = {ENV: "narenas:4"}
    assert not tune_allocator(own, loaded={})
    assert own == {ENV: "narenas:4"}                  # the user's own options stay
    late: dict[str, str] = {}
    assert not tune_allocator(late, loaded={"polars": object()})
    assert late == {}                                 # too late for this process: not set at all


def test_the_command_line_sets_it_before_polars_loads():
    out = _python("import sys, lovkorning.cli, os; print(os.environ.get('_RJEM_MALLOC_CONF'))", _env_without(ENV))
    assert out.returncode == 0, out.stderr
    # polars puts its own defaults first; options later in the list win
    assert out.stdout.strip().endswith("," + OPTIONS)
    out = _python("import polars, lovkorning.cli, os; print(os.environ.get('_RJEM_MALLOC_CONF'))", _env_without(ENV))
    assert out.returncode == 0, out.stderr
    assert "narenas" not in out.stdout


def test_polars_jemalloc_takes_every_option():
    """jemalloc prints its options at exit with stats_print, and warns about any it does not know."""
    out = _python("import polars", {**_env_without(ENV), ENV: OPTIONS + ",stats_print:true"})
    assert out.returncode == 0
    if "opt.narenas" not in out.stderr:              # a polars build without jemalloc: nothing to check
        return
    assert "Invalid conf" not in out.stderr
    for line in ("opt.narenas: 1", "opt.oversize_threshold: 0", "opt.dirty_decay_ms: 2000",
                 "opt.muzzy_decay_ms: 2000"):
        assert line in out.stderr
