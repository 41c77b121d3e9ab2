"""The model: (config, period, inputs, carry) → money lines, time table and adjustments per utförare.

context: the month's frames every basis reads; bases, fees: one pure function per basis, each module
ending in its `BASES` table; engine: applies the rules and prices every line once; beviljad: beviljad
tid per order line; adjust: zon supplements, deductions, momskompensation, kvalitetspeng and the
time table; findings: the avvikelser the model finds; result: the settled month's frames.
"""
