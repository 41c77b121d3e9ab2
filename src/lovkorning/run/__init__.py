"""Months over time, and the state that remembers them.

runner: one run of a month through the ledger's states (preliminär, slutlig, oförändrad, refused,
rättelse), the lock and the recovery of a killed run; ledger: the SQLite ledger of runs and
payments; history: each run's figures kept for the follow-up; followup: utförd against beviljad
over months (`diff`).
"""
