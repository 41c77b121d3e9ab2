"""Test helpers: small months built in code (monthbuilder) and an independent LB checker (lbcheck)."""
