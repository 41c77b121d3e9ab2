"""Visit rows (`besok`, contract §1) written in Sandata's Alternate EVV (altEVV) visit layout,
flattened to one CSV row per visit, for the preset config/exports/sandata-altevv.yaml and its
sample sample_data/exports/sandata-altevv/2023-09/visits.csv.

The layout (the Visit endpoint of Sandata's altEVV interface, as the Connecticut DSS-DMHAS EVV
Vendor Specification v1.5 publishes it, base version 7.14) is JSON: a visit's general elements,
its provider, and a list of calls, each with its CallAssignment ("Time In" or "Time Out"). The
flattening: the visit's elements as columns of their own name, each call's elements prefixed by
its CallAssignment ("Time In CallDateTime"), and the VisitChanges segment's by "VisitChanges".

What the layout cannot say is left out of the sample month: a declined visit (avbojt; the
layout's VisitCancelledIndicator cancels a future schedule without calls), more than one insats
on a visit (one ProcedureCode a visit), the staff role (no visit element; EmployeePosition is of the
employee) and korrigerad (VisitChanges records a change and its reason, not an approval).

Run as a script to write the sample again: `.venv/bin/python tests/support/altevv.py`.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

SAMPLE_UTFORARE = "U05"        # an utförare of the sample month without declined or korrigerad visits
OTHER_BRUKARE = 1              # its brukare with a visit missing an end, and this many more

COLUMNS = ["ProviderQualifier", "ProviderID", "VisitOtherID", "SequenceID", "EmployeeQualifier", "EmployeeOtherID",
           "EmployeeIdentifier", "ClientIDQualifier", "ClientIdentifier", "ClientID", "VisitCancelledIndicator",
           "ProcedureCode", "VisitTimeZone", "AdjInDateTime", "AdjOutDateTime", "BillVisit",
           "Time In CallExternalID", "Time In CallDateTime", "Time In CallType",
           "Time Out CallExternalID", "Time Out CallDateTime", "Time Out CallType",
           "VisitChanges ChangeMadeBy", "VisitChanges ChangeDateTime", "VisitChanges ReasonCode"]

DEVICES = ("Mobile", "Telephony", "FVV")    # a tag registration, told apart only by the device
# the specification's reason codes (Appendix 9.3) for a visit entered by hand
REASON = {(True, True): "03", (True, False): "06", (False, True): "04"}   # No Calls / No In Call / No Out Call
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def sample_rows(rows: list[dict]) -> list[dict]:
    """The visits of the sample: the sample utförare's visits to its brukare with a visit missing
    an end and to the first few others, the staff role left out (the layout has none)."""
    own = [r for r in rows if r["utforare_id"] == SAMPLE_UTFORARE]
    assert all(r["avbojt"] == "nej" and r["korrigerad"] == "nej" and "|" not in r["insatser"] for r in own)
    odd = {r["brukare_id"] for r in own if not (r["start"] and r["slut"])}
    others = sorted({r["brukare_id"] for r in own} - odd)[:OTHER_BRUKARE]
    return [{**r, "roll": ""} for r in own if r["brukare_id"] in odd | set(others)]


def _utc(text: str) -> str:
    """A local timestamp of the contract as altEVV's UTC DateTime; a value that is none as it stands."""
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=STOCKHOLM)
    except ValueError:
        return text
    return local.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _call(n: int, time: str, metod: str) -> str:
    if not time:
        return ""
    return {"tagg": DEVICES[n % len(DEVICES)], "manuell": "Manual"}.get(metod, metod)


def altevv_row(n: int, r: dict) -> dict:
    staff_digits = "".join(ch for ch in r["personal_id"] if ch.isdigit())
    call_in, call_out = _call(n, r["start"], r["metod_start"]), _call(n + 1, r["slut"], r["metod_slut"])
    manual = (call_in == "Manual", call_out == "Manual")
    out = {
        "ProviderQualifier": "MedicaidID", "ProviderID": r["utforare_id"], "VisitOtherID": r["besok_id"],
        "SequenceID": str(n), "EmployeeQualifier": "EmployeeCustomID", "EmployeeOtherID": r["personal_id"],
        "EmployeeIdentifier": staff_digits.zfill(9), "ClientIDQualifier": "ClientCustomID",
        "ClientIdentifier": r["brukare_id"], "ClientID": r["brukare_id"], "VisitCancelledIndicator": "false",
        "ProcedureCode": r["insatser"], "VisitTimeZone": "Europe/Stockholm", "AdjInDateTime": "",
        "AdjOutDateTime": "", "BillVisit": "true",
        "Time In CallExternalID": f"{r['besok_id']}-in" if r["start"] else "",
        "Time In CallDateTime": _utc(r["start"]), "Time In CallType": call_in,
        "Time Out CallExternalID": f"{r['besok_id']}-out" if r["slut"] else "",
        "Time Out CallDateTime": _utc(r["slut"]), "Time Out CallType": call_out,
        "VisitChanges ChangeMadeBy": "", "VisitChanges ChangeDateTime": "", "VisitChanges ReasonCode": "",
    }
    if any(manual):
        out.update({"VisitChanges ChangeMadeBy": f"{r['utforare_id'].lower()}-admin",
                    "VisitChanges ChangeDateTime": "2023-10-02T07:00:00Z", "VisitChanges ReasonCode": REASON[manual]})
    return out


def write_altevv(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, COLUMNS, delimiter=",", lineterminator="\n")
        w.writeheader()
        w.writerows(altevv_row(n, r) for n, r in enumerate(rows, start=1))
    return path


SAMPLE = Path(__file__).resolve().parents[2] / "sample_data/exports/sandata-altevv/2023-09/visits.csv"


def main() -> None:
    from support.besokconv import convert_rows
    repo = SAMPLE.parents[4]
    rows = convert_rows(repo / "lovkorning.yaml", "2023-09", repo / "sample_data/2023-09/taggningar.csv")
    print(write_altevv(sample_rows(rows), SAMPLE))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
