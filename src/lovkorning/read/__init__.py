"""Input files → typed frames with source rows, and the findings on rows that cannot be read.

files: locate and read one input file (CSV or xlsx) into a string frame with `_fil`/`_rad`;
sniff: encoding, separator and header checks; csvfile, xlsxfile: the two readers;
parse: typed columns and row findings; indata: the month's inputs (`read_month`).
"""
