"""How the command line starts: polars' jemalloc options set before polars is loaded (the user's
own after them, nothing once polars is loaded), and the imports made without collecting."""

import os
import subprocess
import sys

from lovkorning.cli.allocator import ENV, OPTIONS, POLARS_OWN, tune_allocator


def _python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)


def _env_without(name: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != name}


def _tuned(given: str | None) -> str | None:
    env = {} if given is None else {ENV: given}
    assert tune_allocator(env, loaded={})
    return env[ENV]


def test_the_options_and_the_users_own_after_them():
    assert _tuned(None) == OPTIONS
    assert _tuned("narenas:4") == OPTIONS + ",narenas:4"            # later options win in jemalloc
    assert _tuned(POLARS_OWN) == OPTIONS                             # a parent that imported polars
    assert _tuned(f"{POLARS_OWN},{POLARS_OWN},narenas:4") == OPTIONS + ",narenas:4"
    assert _tuned(f"{POLARS_OWN},thp:always,metadata_thp:always") == OPTIONS + ",thp:always,metadata_thp:always"


def test_nothing_once_polars_is_loaded():
    env = {ENV: "narenas:4"}
    assert not tune_allocator(env, loaded={"polars": object()})
    assert env == {ENV: "narenas:4"}


SHOW = "import lovkorning.cli, os; print(os.environ.get('_RJEM_MALLOC_CONF'))"


def test_the_command_line_sets_it_before_polars_loads():
    out = _python(SHOW, _env_without(ENV))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"{POLARS_OWN},{OPTIONS}"          # polars puts its own first
    out = _python("import polars, lovkorning.cli, os; print(os.environ.get('_RJEM_MALLOC_CONF'))", _env_without(ENV))
    assert out.returncode == 0, out.stderr
    assert "narenas" not in out.stdout


def test_a_parent_that_imported_polars_does_not_undo_it():
    """A script that imports polars and starts lovkorning passes on polars' options in its
    environment (the bench does: its children had polars' defaults until this was handled)."""
    code = f"import polars, subprocess, sys; subprocess.run([sys.executable, '-c', {SHOW!r}], check=True)"
    out = _python(code, _env_without(ENV))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("," + OPTIONS)


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


def test_the_imports_are_made_without_collecting_and_then_frozen():
    code = ("import gc; import lovkorning.cli; "
            "print(gc.isenabled(), gc.get_freeze_count(), sum(g['collections'] for g in gc.get_stats()))")
    out = _python(code, os.environ.copy())
    assert out.returncode == 0, out.stderr
    enabled, frozen, collections = out.stdout.split()
    assert enabled == "True"                         # collecting again after the imports
    assert int(frozen) > 20_000                      # the imports' objects, never walked again
    assert int(collections) < 20                     # some 140 with collection on (the interpreter's own start: a few)
    out = _python("import gc; gc.disable(); import lovkorning.cli; print(gc.isenabled())", os.environ.copy())
    assert out.stdout.strip() == "False"             # a host that had it off keeps it off
