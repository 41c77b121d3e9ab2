"""Swedish all the way (issue 14, item 2): every command's help and every kind of usage error, through
the real entry point, is in Swedish: no English word of the framing, the Swedish one instead, exit 2
for wrong usage, no traceback and no personnummer."""

from __future__ import annotations

import re

import pytest

from support.cli import PNR, cli

# Words of click's, typer's and pydantic's English framing. Not listed: words that are Swedish too
# ("argument", "standard", "text"), and the option names and values of the public interface
# (--help, --dry-run, --format table …), which are left out of the check below.
ENGLISH = {
    "usage", "error", "options", "arguments", "commands", "command", "show", "this", "message", "exit",
    "missing", "option", "invalid", "value", "values", "such", "input", "should", "valid", "integer", "choose",
    "from", "try", "help", "default", "required", "did", "mean", "got", "unexpected", "extra", "possible",
    "requires", "take", "takes", "does", "not", "aborted", "range", "str", "int", "float", "bool", "path",
    "parse", "unable", "string", "is", "the", "for", "of", "one", "must", "parameter", "exist", "dynamic",
}
COMMANDS = ("run", "validate", "diff", "schedule", "generate", "check-config")


def english_words(text: str) -> set[str]:
    """English framing words in `text`, leaving out option names (--help, -c) and the command path."""
    kept = " ".join(t for t in text.split() if not t.startswith("-") and t != "lovkorning")
    return {w for w in re.findall(r"[A-Za-zÅÄÖåäöÉé]+", kept) if w.lower() in ENGLISH}


@pytest.mark.parametrize("args", [("--help",), *((c, "--help") for c in COMMANDS)], ids=lambda a: " ".join(a))
def test_help_is_swedish(args, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not english_words(r.stdout), (english_words(r.stdout), r.stdout)
    assert r.stdout.startswith(f"Användning: lovkorning {args[0] if len(args) > 1 else ''}".rstrip())
    assert "Alternativ:" in r.stdout and "--help  " in r.stdout and "Visa den här hjälpen och avsluta." in r.stdout
    if len(args) == 1:
        assert "Kommandon:" in r.stdout and all(c in r.stdout for c in COMMANDS)


def test_help_shows_defaults_and_what_is_required_in_swedish(tmp_path):
    r = cli("diff", "--help", cwd=tmp_path)
    assert "Användning: lovkorning diff [ALTERNATIV] MÅNAD" in r.stdout
    assert "MÅNAD  Sista månaden i jämförelsen, ÅÅÅÅ-MM. [krävs]" in r.stdout
    assert re.search(r"--months ANTAL +Antal månader bakåt, inklusive denna \(1–36\)\.\s+\[standard: 3\]", r.stdout)
    assert "--by utforare|brukare|insats" in r.stdout and "Visa per utförare, brukare eller insats." in r.stdout


# (arguments, what the message says); each is wrong usage: exit 2
WRONG = [
    ((), "Kommandon:"),                                                      # no command: the help
    (("--nope",), "FEL: Okänt alternativ: --nope."),
    (("frobnicate",), "FEL: Okänt kommando 'frobnicate'. Kommandon: run, validate, diff"),
    (("dif",), "FEL: Okänt kommando 'dif'. Menade du diff?"),
    (("diff",), "FEL: Argumentet MÅNAD saknas."),
    (("diff", "2023-09", "--nope"), "FEL: Okänt alternativ: --nope."),
    (("diff", "2023-09", "--mont", "2"), "FEL: Okänt alternativ: --mont (menade du --months eller --out?)"),
    (("diff", "2023-09", "--months", "x"), "FEL: --months: 'x' är inget heltal; ange ett heltal från 1 till 36."),
    (("diff", "2023-09", "--months", "0"), "FEL: --months: 0 är för litet; ange ett heltal från 1 till 36."),
    (("diff", "2023-09", "--months"), "FEL: Alternativet --months kräver ett värde."),
    (("diff", "2023-09", "--by", "x"), "FEL: --by: 'x' är inte utforare, brukare eller insats."),
    (("diff", "2023-09", "--format", "x"), "FEL: --format: 'x' är inte table, csv, xlsx eller json."),
    (("diff", "2023-13"), "FEL: MÅNAD: '2023-13' är ingen månad; ange ÅÅÅÅ-MM, t.ex. 2023-09."),
    (("validate", "2023-09", "--visa", "x"), "FEL: --visa: 'x' är inget heltal; ange ett heltal, minst 0."),
    (("validate", "2023-09", "mera"), "FEL: Oväntade argument: mera."),
    (("run",), "FEL: MÅNAD: ange månaden, ÅÅÅÅ-MM, eller --due."),
    (("run", "2023-09", "--due"), "FEL: MÅNAD: ange ingen månad med --due."),
    (("run", "2023-09", "--vanta", "x"), "FEL: --vanta: 'x' är inget tal; ange t.ex. 30 eller 2,5."),
    (("run", "2023-09", "--datum", "2023-10-32"), "FEL: --datum: '2023-10-32' är inget giltigt datum"),
    (("run", "2023-09", "--dry-run=ja"), "FEL: Alternativet --dry-run tar inget värde."),
    (("schedule", "x"), "FEL: ÅR: 'x' är inget heltal; ange ett heltal från 2000 till 2100."),
    (("generate", "2023-09"), "FEL: Alternativet --dir saknas."),
    (("generate", "2023-09", "--dir", "d", "--seed", "x"), "FEL: --seed: 'x' är inget heltal; ange ett heltal."),
    (("generate", "2023-09", "--dir", "d", "--size", "huge"),
     "FEL: --size: 'huge' är inte small, norrkoping, stockholm eller sweden, eller ett antal brukare, minst 150."),
    (("generate", "2023-09", "--dir", "d", "--size", "20"),
     "FEL: --size: '20' är inte small, norrkoping, stockholm eller sweden, eller ett antal brukare, minst 150."),
    (("generate", "2023-09", "--dir", "d", "--model", "x"), "FEL: --model: 'x' är inte norrkoping, norrtalje"),
    (("check-config", "--manad", "x"), "FEL: --manad: 'x' är ingen månad"),
]


@pytest.mark.parametrize("args,says", WRONG, ids=lambda a: " ".join(a) if isinstance(a, tuple) else None)
def test_wrong_usage_is_said_in_swedish_with_exit_2(args, says, tmp_path):
    r = cli(*args, cwd=tmp_path)
    text = r.stdout + r.stderr
    assert r.returncode == 2, text
    assert says in r.stderr, r.stderr
    assert not english_words(text), (english_words(text), text)
    assert "Traceback" not in text and not list(tmp_path.iterdir())        # nothing made
    if args:                        # the usage line and where to find help, before the message
        command = "lovkorning diff" if args[0] == "dif" else f"lovkorning {args[0]}"
        command = "lovkorning" if args[0].startswith("-") or args[0] in ("frobnicate", "dif") else command
        assert r.stderr.startswith(f"Användning: {command} [ALTERNATIV]"), r.stderr
        assert f"Mer hjälp: {command} --help" in r.stderr


def test_a_personnummer_given_as_an_argument_is_not_repeated(tmp_path):
    r = cli("validate", "2023-09", "19400101-1230", cwd=tmp_path)
    assert r.returncode == 2 and "Oväntade argument" in r.stderr
    assert not PNR.search(r.stdout + r.stderr), r.stderr


def test_the_framing_leaves_gettext_and_the_library_alone():
    """Importing lovkorning as a library changes no global state of gettext or typer."""
    import gettext

    domain = gettext.textdomain()
    import lovkorning.cli  # noqa: F401
    assert gettext.textdomain() == domain
