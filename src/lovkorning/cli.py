"""The command line: parses options, calls the library, turns errors into Swedish messages and
the contract's exit codes (0 done, 1 input/config errors, 2 usage, 3 refused)."""

from __future__ import annotations

import os
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Optional

import polars as pl
import typer

from .cli_sv import Command, Group, checked, choice, from_text, iso_date, number, whole_number
from .config.loaded import config_path, load
from .core.errors import EXIT_INPUT, ConfigError, Fel, LovError, Plats, os_cause
from .core.period import Period
from .run import history
from . import report

# Help and usage errors in Swedish (cli_sv): plain-text help, our group and command classes.
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True, cls=Group,
                  rich_markup_mode=None, help="LOV-körningen för hemtjänst: validerar, avräknar och skriver betalfil.")
command = partial(app.command, cls=Command)

ConfigOpt = typer.Option(None, "--config", "-c", metavar="FIL",
                         help="Konfigurationsfil (annars $LOVKORNING_CONFIG, annars ./lovkorning.yaml).")


_period = from_text(Period, Period.parse, "'{value}' är ingen månad; ange ÅÅÅÅ-MM, t.ex. 2023-09.")


def _month(help: str, required: bool = True) -> typer.models.ArgumentInfo:
    return typer.Argument(... if required else None, parser=_period, metavar="MÅNAD", help=help, show_default=False)


def _fail(exc: LovError) -> None:
    err = report.console(stderr=True)
    for f in exc.fel[:50]:
        err.print(f"FEL: {f}")
    if len(exc.fel) > 50:
        err.print(f"… och {len(exc.fel) - 50} fel till.")
    raise typer.Exit(exc.exit_code)


def _warn_schedule(cfg, period: Period) -> None:
    """The schedule's problems in this month and the next twelve, as warnings: a run does not stop
    on another month's calendar (a payment day before this month's run day: the file says GENAST)."""
    months = [period]
    for _ in range(12):
        months.append(months[-1].next())
    for f in cfg.schedule_problems(months):
        print(f"VARNING: {f}", file=sys.stderr)


def _warn(outcome) -> None:
    """What went wrong after the run was recorded: said on stderr, the exit code stays 0."""
    for w in getattr(outcome, "warnings", None) or []:
        print(f"VARNING: {w}", file=sys.stderr)


@command()
def run(month: Optional[Period] = _month("Månaden som avräknas, ÅÅÅÅ-MM (utelämnas med --due).", required=False),
        config: Optional[Path] = ConfigOpt,
        dry_run: bool = typer.Option(False, "--dry-run", help="Avräkna och visa vad som skulle betalas; skriv inget."),
        final: bool = typer.Option(False, "--final", help="Slutlig körning även före körningsdagen."),
        rattelse: bool = typer.Option(False, "--rattelse", help="Rätta en betald månad: betala eller kräv tillbaka skillnaden."),
        due: bool = typer.Option(False, "--due", help="För cron: kör den månad vars körningsdag är idag, annars inget."),
        vanta: float = typer.Option(0, "--vanta", parser=number(0), metavar="SEKUNDER",
                                    help="Vänta så här många sekunder om en annan körning pågår."),
        datum: Optional[date] = typer.Option(None, "--datum", parser=iso_date, metavar="ÅÅÅÅ-MM-DD",
                                             help="Körningens datum, för test; annars idag.")) -> None:
    """Validera och avräkna månaden, skriv betalfil, avräkningar, sammanställning och manifest."""
    from .read.indata import require_month
    from .run.runner import execute, preview

    if due and month:
        raise typer.BadParameter("ange ingen månad med --due.", param_hint="MÅNAD")
    if not due and not month:
        raise typer.BadParameter("ange månaden, ÅÅÅÅ-MM, eller --due.", param_hint="MÅNAD")
    today = datum or date.today()
    out = report.console()
    try:
        cfg = load(config_path(config, dict(os.environ)))
        if due:
            period = Period(today.year, today.month).previous()
            day = cfg.run_day(period)
            if day != today:
                out.print(f"Ingen körning idag ({today}). {period.label} körs {day}.")
                return
        else:
            period = month
            cfg.run_day(period)             # the config's fault first: a month without a run day (file, line)
        require_month(cfg, period)          # before the lock and the ledger: a month not yet exported
        _warn_schedule(cfg, period)
        if dry_run:      # reads the ledger, takes no lock: what a real run would do, or its refusal
            outcome = preview(cfg, period, today, final=final or due, rattelse=rattelse)
        else:
            outcome = execute(cfg, period, today, final=final or due, rattelse=rattelse, wait=vanta)
        settled = outcome.settled
    except LovError as exc:
        _fail(exc)
    _warn(outcome)
    try:
        report.print_run(out, settled, outcome)
    except (Exception, pl.exceptions.PanicException) as exc:
        if outcome.dry_run or os.environ.get("LOVKORNING_DEBUG"):
            raise
        # the run is done (and recorded): say so, not the generic "Inget betalades"
        print(f"Körningen är klar ({outcome.kind}); utdata: {outcome.out_dir or '–'}, betalfil: "
              f"{outcome.payment_path or 'ingen'}. Sammanfattningen kunde inte visas ({type(exc).__name__}). "
              "En ny körning med samma indata betalar inte igen.", file=sys.stderr)
        raise typer.Exit(1)


@command()
def validate(month: Period = _month("Månaden som valideras, ÅÅÅÅ-MM."),
             config: Optional[Path] = ConfigOpt,
             visa: int = typer.Option(50, "--visa", parser=whole_number(0), metavar="ANTAL",
                                      help="Visa högst så många fel-rader (0: alla).")) -> None:
    """Läs och validera månadens indata; visa avvikelserna. Skriver inget."""
    from .read.indata import require_month
    from .pipeline import count_visits, rows_read, settle_month
    from .run.runner import read_carry

    period = month
    out = report.console()
    try:
        cfg = load(config_path(config, dict(os.environ)))
        require_month(cfg, period)
        carry, problem = read_carry(cfg, period)
        if problem:
            print(f"VARNING: {problem}", file=sys.stderr)
        settled = settle_month(cfg, period, date.today(), carry)
    except LovError as exc:
        _fail(exc)
    out.print(report.rows_table(rows_read(settled.indata)))
    v = count_visits(settled.visits)
    out.print(f"Besök: {v['besok']} ({v['giltiga']} räknade), avböjda besök: {v['avbojda']}")
    out.print(report.findings_table(settled.avr.avvikelser))
    errors = settled.avr.avvikelser.filter(settled.avr.avvikelser["allvarlighet"] == "fel")
    shown = errors if visa == 0 else errors.head(visa)
    for r in shown.iter_rows(named=True):
        out.print(f"FEL {r['fil']}, rad {r['rad']}, kolumn '{r['kolumn'] or '—'}': {r['meddelande']}")
    if errors.height > shown.height:
        out.print(f"… och {errors.height - shown.height} fel-rader till (alla: --visa 0).")


BY = ("utforare", "brukare", "insats")
FORMATS = ("table", "csv", "xlsx", "json")


@command()
def diff(month: Period = _month("Sista månaden i jämförelsen, ÅÅÅÅ-MM."),
         months: int = typer.Option(3, "--months", parser=whole_number(1, 36), metavar="ANTAL",
                                    help="Antal månader bakåt, inklusive denna (1–36)."),
         by: str = typer.Option("utforare", "--by", parser=choice(BY), metavar="|".join(BY),
                                help="Visa per utförare, brukare eller insats."),
         utforare: Optional[str] = typer.Option(None, "--utforare", metavar="ID", help="Bara denna utförare."),
         fmt: str = typer.Option("table", "--format", parser=choice(FORMATS), metavar="|".join(FORMATS),
                                 help="Tabell i terminalen, eller fil: csv, xlsx eller json."),
         out: Optional[Path] = typer.Option(None, "--out", metavar="FIL", help="Fil att skriva (csv/xlsx/json); '-' "
                                            "skriver till standard ut med maskerade personnummer."),
         config: Optional[Path] = ConfigOpt) -> None:
    """Jämför utförd med beviljad tid över månader och flagga det som ska granskas."""
    from .run import followup
    from .write import diffout

    if fmt == "table" and out is not None and str(out) != "-":
        raise typer.BadParameter("gäller bara --format csv, xlsx eller json; tabellen visas bara i terminalen "
                                 "(ange t.ex. --format csv --out FIL).", param_hint="--out")
    period = month
    try:
        cfg = load(config_path(config, dict(os.environ)))
        labels, fig, sources, missing = history.window(cfg, period, months, date.today())
    except LovError as exc:
        _fail(exc)
    shown = [m for m in labels if m not in missing]
    if missing:       # on stderr: standard out stays csv or json
        print(f"Inga data för {', '.join(missing)}; visar {', '.join(shown)}.", file=sys.stderr)
    rows = followup.view(fig, by, shown, utforare)
    flags = followup.flags(fig, cfg.cfg.diff, labels)     # a month without data breaks a run of months
    if utforare:
        flags = flags.filter(flags["utforare_id"] == utforare)
    text = lambda f: followup.flag_text(f, cfg.cfg.diff)  # noqa: E731
    if fmt == "table":
        report.print_diff(report.console(), shown, sources, by, diffout.records(rows, by, mask=True),
                          diffout.flag_records(flags, text, mask=True))
        return
    to_stdout = out is not None and str(out) == "-"
    recs = diffout.records(rows, by, mask=to_stdout)
    doc = {"month": period.label, "months": shown, "by": by, "utforare": utforare,
           "thresholds": {k: float(v) for k, v in cfg.cfg.diff.model_dump().items()},
           "sources": sources, "months_without_data": missing, "rows": recs,
           "flags": diffout.flag_records(flags, text, mask=to_stdout)}
    if fmt == "xlsx":
        if to_stdout:
            raise typer.BadParameter("xlsx kan inte skrivas till standard ut.", param_hint="--out")
        views = {b: diffout.records(followup.view(fig, b, shown, utforare), b, mask=False) for b in BY}
        path = out or cfg.output_dir(period.label) / "uppfoljning" / f"diff-{months}m.xlsx"
        diffout.write_xlsx(path, views, doc["flags"], shown)
    else:
        data = diffout.to_json(doc) if fmt == "json" else diffout.to_csv(recs, by)
        if to_stdout:
            sys.stdout.buffer.write(data)
            return
        path = out or cfg.output_dir(period.label) / "uppfoljning" / f"diff-{by}-{months}m.{fmt}"
        from .write.files import private_file
        private_file(path, data)
    report.console().print(f"Skrev {path} ({len(flags)} flaggor).")


@command()
def schedule(year: int = typer.Argument(..., parser=whole_number(2000, 2100), metavar="ÅR", show_default=False,
                                        help="Året vars månader visas."),
             config: Optional[Path] = ConfigOpt) -> None:
    """Visa varje månads körningsdag och betalningsdag för ett år."""
    from .config.checks import months_of
    from .core.schedule import payment_date, run_day

    try:
        cfg = load(config_path(config, dict(os.environ)))
    except LovError as exc:
        _fail(exc)
    c = cfg.cfg.schedule
    rows = []
    for p in months_of(year):
        try:
            rows.append((p.label, run_day(p, c.run_workday), payment_date(p, cfg.payment_rule(), c.run_workday)))
        except ValueError:           # no such workday that month: shown as –, named below
            rows.append((p.label, None, None))
    report.print_schedule(report.console(), rows, c.run_workday)
    for f in cfg.schedule_problems(months_of(year)):
        print(f"VARNING: {f}", file=sys.stderr)


@command()
def generate(month: Period = _month("Månaden som skapas, ÅÅÅÅ-MM."),
             size: str = typer.Option("small", "--size", metavar="STORLEK",
                                      help="small, norrkoping, stockholm eller sweden, eller ett antal brukare."),
             model: str = typer.Option("norrkoping", "--model", metavar="MODELL",
                                       help="norrkoping, norrtalje, osteraker eller osteraker-insats."),
             seed: int = typer.Option(2023, "--seed", parser=whole_number(), metavar="TAL",
                                      help="Slumpfrö: samma frö ger samma filer."),
             folder: Path = typer.Option(..., "--dir", metavar="MAPP", show_default=False,
                                         help="Mappen som skapas: MAPP/lovkorning.yaml och MAPP/data/…")) -> None:
    """Skapa en syntetisk månad (brukare, beställningar, uppehåll, besök, planterade avvikelser)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .synth import MODELS, SIZES   # the generator's import is slow: here, not for --help
    from .synth.scaffold import scaffold

    period = month
    size = checked("--size", choice(list(SIZES), "ett antal brukare", str.isdigit), size)
    model = checked("--model", choice(MODELS), model)
    out = report.console()
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f} %"),
                  TimeElapsedColumn(), console=out, transient=not out.is_terminal) as progress:
        head = f"Skapar {period.label} ({size}, {model})"
        task = progress.add_task(head, total=100)

        def stage(description: str, done: float) -> None:   # synth's progress: per stage and chunk
            progress.update(task, description=f"{head}: {description}", completed=round(100 * done))

        facit = scaffold(period.label, folder, size if not size.isdigit() else int(size), model, seed,
                         progress=stage)
        progress.update(task, description=head, completed=100)
    rows = facit.get("rader", facit.get("rows", {}))
    out.print(f"Klart: {folder / 'lovkorning.yaml'} och {folder / 'data'}; "
              f"kör med: lovkorning run {period.label} --config {folder / 'lovkorning.yaml'}")
    if isinstance(rows, dict) and rows:
        out.print(", ".join(f"{k} {v} rader" for k, v in rows.items()))


@command("check-config")
def check_config(path: Optional[Path] = typer.Argument(None, metavar="FIL", help="Konfigurationsfil (annars som för run)."),
                 month: Optional[Period] = typer.Option(None, "--manad", parser=_period, metavar="MÅNAD",
                                                        help="Visa rater för denna månad (ÅÅÅÅ-MM).")) -> None:
    """Läs in och förklara en konfiguration; avslutar med fel om något är fel."""
    from .config.checks import months_of
    from .core.schedule import payment_date

    today = date.today()
    period = month or Period(today.year, today.month).previous()
    try:
        cfg = load(config_path(path, dict(os.environ)))
        months = dict.fromkeys(months_of(today.year, today.year + 1) + [period])
        problems = cfg.schedule_problems(list(months))
        if problems:          # the schedule is checked for this year and the next (and --manad)
            raise ConfigError(problems)
    except LovError as exc:
        _fail(exc)
    c = cfg.cfg
    out = report.console()
    out.print(f"Konfiguration {cfg.path} (sha256 {cfg.sha256[:12]}) är giltig.")
    out.print(f"Kommun: {c.kommun.namn}, bankgiro {c.kommun.bankgiro}; betalformat {c.payment_format}")
    out.print(f"Månad {period.label}: körs {cfg.run_day(period)} "
              f"({c.schedule.run_workday}:e arbetsdagen), betalas {payment_date(period, cfg.payment_rule(), c.schedule.run_workday)}")
    out.print(f"Besök: minst {c.visits.min_minutes} min, högst {c.visits.max_minutes} min, tagg: {c.visits.require_tag}")
    if c.visits.window:
        out.print(f"Utförd tid räknas bara {c.visits.window[0]}–{c.visits.window[1]}.")
    out.print(f"Så betalas insatserna {period.label}:")
    out.print(report.insats_table(cfg, period))
    out.print("Rater:")
    out.print(report.rates_table(cfg, period))
    for s in c.supplements:
        out.print(f"Tillägg '{s.name}': " + (f"{s.percent} % för zon {', '.join(s.zon or ['alla'])}" if s.percent is not None
                                           else f"{s.per_utford_timme} kr per utförd timme") + (f", flagga {s.flagga}" if s.flagga else ""))
    for d in c.deductions:
        when = [f"flaggan {d.flagga}"] if d.flagga else []
        when += [f"andel utförd under {d.min_andel_utford} %"] if d.min_andel_utford is not None else []
        out.print(f"Avdrag '{d.name}': {d.percent} % för utförare med " + " och ".join(when))
    out.print(f"Momskompensation: {c.momskompensation.percent} % (privata utförare)")


def main() -> None:
    os.umask(0o077)   # everything the run creates (outputs, ledger, history, lock) is the owner's only
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
