"""The command line's own words in Swedish: usage line, help, and usage errors (exit 2).

Why not a gettext catalogue: typer (0.29) carries its own copy of click, whose words ("Usage:",
"Show this message and exit.", "No such option", "Missing argument", "Invalid value for",
"Try … for help") are plain English literals, not gettext calls. Typer's own few words are
gettext calls, but `gettext.gettext` takes its language from LANGUAGE, LC_ALL or LANG, which is C
under cron: a catalogue would translate part of the framing, and only in a Swedish locale.
Instead the app uses typer's documented extension points, which work whatever the locale and touch
no global state:
- `Group` and `Command` (`Typer(cls=…)`, `app.command(cls=…)`) write the usage line, the help
  sections, the help option's text and the errors of unknown commands and extra arguments;
- `Group.main` shows every usage error in Swedish, from the exception's class and attributes;
- values are parsed by the functions below (`typer.Option(parser=…)`), so a bad number, date or
  choice is said in Swedish, never in pydantic's words ("Input should be a valid integer").
Help is plain text (`rich_markup_mode=None`): the sections are ours, and it stays readable in
cron and in a pipe.
"""

from __future__ import annotations

import difflib
import math
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

from ..core.errors import EXIT_USAGE, hide_personnummer

T = TypeVar("T")
USAGE = "Användning: "
HELP_TEXT = "Visa den här hjälpen och avsluta."


def _classes(name: str) -> tuple[type, ...]:
    """click's exception class `name` as typer's public BadParameter derives from it (typer's own
    copy of click or click itself): caught without importing either's private module."""
    return tuple(c for c in typer.BadParameter.__mro__ if c.__name__ == name)


CLICK_ERROR = _classes("ClickException")


def _kind(exc: BaseException) -> str:
    """The most specific of click's error classes that `exc` is (by name, as above)."""
    known = ("NoArgsIsHelpError", "NoSuchOption", "MissingParameter", "BadOptionUsage", "BadArgumentUsage",
             "BadParameter", "FileError", "UsageError")
    return next((c.__name__ for c in type(exc).__mro__ if c.__name__ in known), "ClickException")


# ---------------------------------------------------------------- values: parsed in Swedish


def from_text(kind: type[T] | tuple[type, ...], parse: Callable[[str], T], wrong: str) -> Callable[[Any], T]:
    """A parser of text with `parse`; a ValueError is a usage error that says `wrong` ({value}:
    what was given). A value that already is a `kind` (a default) passes as it is."""
    def parser(value: Any) -> T:
        if isinstance(value, kind):
            return value
        try:
            return parse(str(value).strip())
        except ValueError:
            raise typer.BadParameter(wrong.format(value=value)) from None
    return parser


def whole_number(lo: int | None = None, hi: int | None = None) -> Callable[[Any], int]:
    """A parser for an integer option or argument, between lo and hi (inclusive) when given."""
    span = (f" från {lo} till {hi}" if hi is not None else f", minst {lo}") if lo is not None else ""
    text = from_text(int, int, "'{value}' är inget heltal; ange ett heltal" + span + ".")

    def parse(value: Any) -> int:
        n = text(value)
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            raise typer.BadParameter(f"{n} är för {'litet' if lo is not None and n < lo else 'stort'}; "
                                     f"ange ett heltal{span}.")
        return n
    return parse


def number(lo: float = 0) -> Callable[[Any], float]:
    """A parser for a decimal number of at least lo (decimal comma or point)."""
    def finite(t: str) -> float:
        x = float(t.replace(",", "."))
        if not math.isfinite(x):            # nan, inf: no number of seconds
            raise ValueError(t)
        return x
    text = from_text((int, float), finite, "'{value}' är inget tal; ange t.ex. 30 eller 2,5.")

    def parse(value: Any) -> float:
        x = float(text(value))
        if x < lo:
            raise typer.BadParameter(f"{value} är för litet; ange ett tal, minst {lo:g}.")
        return x
    return parse


def choice(values: Sequence[str], or_else: str = "", accept: Callable[[str], bool] = lambda _: False
           ) -> Callable[[Any], str]:
    """A parser for one of `values`, or a value `accept` takes (`or_else` says what that is)."""
    words = ", ".join(values[:-1]) + f" eller {values[-1]}" + (f", eller {or_else}" if or_else else "")

    def parse(value: Any) -> str:
        if value in values or accept(str(value)):
            return value
        raise typer.BadParameter(f"'{value}' är inte {words}.")
    return parse


def checked(hint: str, parse: Callable[[Any], T], value: Any) -> T:
    """`parse(value)` in a command's body, where typer cannot tell which option a bad value came
    from: the error names `hint`."""
    try:
        return parse(value)
    except typer.BadParameter as exc:
        exc.param_hint = hint
        raise


# a date written ÅÅÅÅ-MM-DD
iso_date = from_text(date, date.fromisoformat, "'{value}' är inget giltigt datum; ange ÅÅÅÅ-MM-DD, t.ex. 2023-10-09.")


# ---------------------------------------------------------------- help


def _name(param: Any) -> str:
    """How a parameter is named in help and errors: an argument by its metavar, an option by its
    long name."""
    if param.param_type_name == "argument":
        return param.metavar or param.name.upper()
    return max(param.opts, key=len)


def _record(param: Any) -> tuple[str, str] | None:
    """(names, help) of one parameter in the help's list, with its default and whether required."""
    if getattr(param, "hidden", False):
        return None
    if param.param_type_name == "argument":
        names = _name(param)
    else:
        names = ", ".join(sorted([*param.opts, *param.secondary_opts], key=lambda o: o.startswith("--")))
        if not param.is_flag:
            names += f" {param.metavar or 'VÄRDE'}"
    extra = []
    default = param.default
    if param.param_type_name == "option" and not param.is_flag and default not in (None, "") and param.show_default:
        extra.append(f"standard: {default:g}" if isinstance(default, float) else f"standard: {default}")
    if param.required:
        extra.append("krävs")
    text = " ".join(w for w in (getattr(param, "help", None) or "", f"[{'; '.join(extra)}]" if extra else "") if w)
    return names, text


class _Swedish:
    """What a command and the group share: the usage line, the parameters' help, the help option."""

    options_metavar: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = "[ALTERNATIV]"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """As click's; an error of the option parser gets the context it lacks (for the usage
        line, and to look the option up)."""
        try:
            return super().parse_args(ctx, args)
        except CLICK_ERROR as exc:
            if getattr(exc, "ctx", False) is None:
                exc.ctx = ctx
            raise

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            if p.param_type_name == "argument":
                pieces.append(_name(p) if p.required else f"[{_name(p)}]")
        return pieces

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), USAGE)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP_TEXT
        return option

    def format_options(self, ctx: Any, formatter: Any) -> None:
        records = [(p.param_type_name, r) for p in self.get_params(ctx) if (r := _record(p)) is not None]
        for kind, title in (("argument", "Argument"), ("option", "Alternativ")):
            rows = [r for k, r in records if k == kind]
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


class Command(_Swedish, TyperCommand):
    """A command whose help and errors are Swedish. Extra arguments are collected (allowed by the
    context) and refused here, in Swedish."""

    allow_extra_args = True

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        if rest and not ctx.resilient_parsing:
            ctx.fail(f"Oväntade argument: {' '.join(rest)}.")
        return rest


class Group(_Swedish, TyperGroup):
    """The app: Swedish help and command list, Swedish usage errors with exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subcommand_metavar = "KOMMANDO [ARGUMENT]..."

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*super().collect_usage_pieces(ctx), self.subcommand_metavar]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        super().format_options(ctx, formatter)
        commands = [(n, c) for n in self.list_commands(ctx) if (c := self.get_command(ctx, n)) and not c.hidden]
        if commands:
            limit = formatter.width - 6 - max(len(n) for n, _ in commands)
            with formatter.section("Kommandon"):
                formatter.write_dl([(n, c.get_short_help_str(limit)) for n, c in commands])

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0]
        if not ctx.resilient_parsing and not name.startswith("-") and self.get_command(ctx, name) is None:
            close = difflib.get_close_matches(name, self.list_commands(ctx))
            ctx.fail(f"Okänt kommando '{name}'." + (f" Menade du {' eller '.join(close)}?" if close else
                                                     f" Kommandon: {', '.join(self.list_commands(ctx))}."))
        return super().resolve_command(ctx, args)

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        """As typer's, with usage errors shown here, in Swedish. Typer shows them itself only in
        standalone mode: it runs without, and this does what standalone mode would (exit)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except CLICK_ERROR as exc:
            sys.exit(show_error(exc))
        except typer.Abort:
            print("Avbrutet.", file=sys.stderr)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


# ---------------------------------------------------------------- errors


def _hint(exc: Any) -> str | None:
    """The parameter a usage error is about: as given by whoever raised it, else its name."""
    hint = getattr(exc, "param_hint", None)
    if hint is not None:
        return hint if isinstance(hint, str) else " / ".join(hint)
    param = getattr(exc, "param", None)
    return _name(param) if param is not None else None


def message(exc: Any) -> str:
    """A usage error in Swedish, without the 'FEL: ' before it."""
    kind = _kind(exc)
    if kind == "NoSuchOption":
        close = sorted(exc.possibilities or [])
        return f"Okänt alternativ: {exc.option_name}" + (f" (menade du {' eller '.join(close)}?)" if close else ".")
    if kind == "MissingParameter":
        what = "Argumentet" if (exc.param_type or getattr(exc.param, "param_type_name", "")) == "argument" else "Alternativet"
        return f"{what} {_hint(exc)} saknas."
    if kind == "BadOptionUsage":
        command = exc.ctx.command if exc.ctx is not None else None
        option = next((p for p in (command.params if command else []) if exc.option_name in p.opts), None)
        if option is not None and getattr(option, "is_flag", False):
            return f"Alternativet {exc.option_name} tar inget värde."
        return f"Alternativet {exc.option_name} kräver ett värde."
    if kind == "BadArgumentUsage":
        return "Fel antal värden för ett argument."
    if kind == "BadParameter":
        hint = _hint(exc)
        return f"{hint}: {exc.message}" if hint else exc.message
    if kind == "FileError":
        return f"Filen {exc.filename} kunde inte öppnas."
    return {"Missing command.": "Ange ett kommando."}.get(exc.message, exc.message)


def show_error(exc: Any) -> int:
    """Print a usage error as the rest of the command line does (`FEL: …`), after the usage line
    and where to find help; return its exit code. NoArgsIsHelp: the help (exit 2)."""
    ctx = getattr(exc, "ctx", None)
    if _kind(exc) == "NoArgsIsHelpError":
        print(ctx.get_help(), file=sys.stderr)
        return EXIT_USAGE
    if ctx is not None:
        print(ctx.get_usage(), file=sys.stderr)
        if ctx.command.get_help_option(ctx) is not None:
            print(f"Mer hjälp: {ctx.command_path} {ctx.help_option_names[0]}", file=sys.stderr)
        print(file=sys.stderr)
    print(f"FEL: {hide_personnummer(message(exc))}", file=sys.stderr)
    return getattr(exc, "exit_code", EXIT_USAGE)
