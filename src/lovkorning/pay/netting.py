"""pain.001 cannot carry credits: a correction's payments and credits are netted per bankgiro before
the file is written, and what is still owed to the municipality is handed back, not paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


from .lb import Payment
from .pain001 import CREDIT, PAYMENT, bankgiro_digits, check_amount, check_kind


_REFERENCE_SEPARATOR = " / "


# --- netting --------------------------------------------------------------------------------


@dataclass
class _Group:
    """The payments and credits of one bankgiro, in input order."""

    digits: str
    debits: list[Payment] = field(default_factory=list)
    credits: list[Payment] = field(default_factory=list)

    def net(self) -> int:
        return sum(p.amount_ore for p in self.debits) - sum(p.amount_ore for p in self.credits)


def _joined_references(entries: list[Payment]) -> str:
    """The distinct non-empty references in order; a single one (an OCR too) stays as it is."""
    seen: list[str] = []
    for p in entries:
        if p.reference and p.reference not in seen:
            seen.append(p.reference)
    return _REFERENCE_SEPARATOR.join(seen)


def _combined(entries: list[Payment], digits: str, amount: int, kind: str) -> Payment:
    """One entry standing for entries: the first one's date and info, all their references."""
    return replace(entries[0], bankgiro=digits, amount_ore=amount,
                   reference=_joined_references(entries), kind=kind)


def _groups(payments: list[Payment]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for p in payments:
        check_kind(p.kind)
        check_amount(p.amount_ore)
        digits = bankgiro_digits(p.bankgiro)
        group = groups.setdefault(digits, _Group(digits))
        (group.debits if p.kind == PAYMENT else group.credits).append(p)
    return list(groups.values())


def net_payments(payments: list[Payment]) -> tuple[list[Payment], list[Payment]]:
    """(payments to send, credits remaining), netted per bankgiro: Σ kind 14 − Σ kinds 15/16.

    Payments to send: one kind "14" entry per bankgiro whose net is above zero. Credits
    remaining: one kind "16" entry with a positive amount per bankgiro whose net is below
    zero; they are owed to the municipality, reported by the caller, not in the file, and
    netted against the next month. A net of zero gives neither. Both lists follow the order in
    which each bankgiro first appears; bankgiros are returned as digits. ValueError on an
    unknown kind, an amount that is not a positive integer, or an invalid bankgiro.
    """
    to_send: list[Payment] = []
    remaining: list[Payment] = []
    for group in _groups(payments):
        net = group.net()
        if net > 0:
            to_send.append(_combined(group.debits, group.digits, net, PAYMENT))
        elif net < 0:
            remaining.append(_combined(group.credits, group.digits, -net, CREDIT))
    return to_send, remaining
