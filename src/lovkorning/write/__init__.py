"""Files on disk: the settled month turned into workbooks, CSV files and the manifest, in a version
folder published by one atomic switch, and read back to prove they agree to the öre.

xlsx: the shared xlsx toolkit; workbook: one utförare's workbook; sammanstallning: the
municipality's summary; besok: every visit per utförare as CSV; diffout: the follow-up's files;
files: the payment file's payees and the manifest's file list; readback: the written files read
back; versions: version folders and the atomic publish.
"""
