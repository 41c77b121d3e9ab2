"""A schablon registration beyond the order's `antal` is not paid, and says so (over-antal):
the provider sees, at the tag row, which registration went unpaid and why (seeds/004: inköp is
paid once a week, however the utförare splits it)."""

from conftest import run_case

CASE = {
    "config": """
rates: {service: {2023-01-01: 382.00}}
rules:
  - {name: Service, basis: schablon, rate: service, schablon: {Inköp: 60}, avbojt_percent: {default: 55}}
""",
    "bestallningar": [{"id": "B7", "brukare": "A", "insats": "Inköp", "minuter": 60, "per": "vecka", "antal": 1}],
    "taggningar": [
        {"brukare": "A", "in": "2023-09-04 10:00", "ut": "2023-09-04 10:20", "insatser": "Inköp"},   # rows 2, 3: paid
        {"brukare": "A", "in": "2023-09-06 10:00", "ut": "2023-09-06 10:25", "insatser": "Inköp"},   # rows 4, 5
        {"brukare": "A", "avbojt": "2023-09-07 10:00", "insatser": "Inköp"},                          # row 6
    ],
}


def test_registrations_beyond_antal_are_named_at_their_tag_row(tmp_path):
    avr = run_case(CASE, tmp_path)
    over = avr.avvikelser.filter(avr.avvikelser["kod"] == "over-antal")
    assert over.select("allvarlighet", "utforare_id", "fil", "rad", "kolumn", "meddelande").rows() == [
        ("info", "U01", "taggningar.csv", 5, "insatser",
         "'Inköp' den 2023-09-06 ersätts inte: beställning B7 ersätter högst 1 per vecka (2023-V36), och så många "
         "är redan ersatta (regel 'Service')."),
        ("info", "U01", "taggningar.csv", 6, "insatser",
         "'Inköp' (avböjt) den 2023-09-07 ersätts inte: beställning B7 ersätter högst 1 per vecka (2023-V36), och "
         "så många är redan ersatta (regel 'Service')."),
    ]
    assert avr.rader.filter(avr.rader["regel"] == "Service")["antal"].sum() == 1
