"""What is paid, and the bytes the bank takes: Bankgirot Leverantörsbetalningar (lb) and ISO 20022
pain.001.001.03 (pain001), both from integer öre.
"""
