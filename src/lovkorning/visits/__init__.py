"""Tag events → visits, and the findings on events and visits.

pairing: events paired into visits per staff and brukare (`pair_visits`), duplicates, lone events,
declined visits; checks: the visit checks of the config's `visits` section; sortkeys: the integer
sort keys and gathers that keep millions of events columnar.
"""
