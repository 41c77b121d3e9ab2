"""What a file is before it is read whole: its encoding, its separator, its header line; NUL bytes,
UTF-16 without BOM or a zip under a CSV name are refused from the first 64 KiB.
"""

from __future__ import annotations

import re


from ..core.errors import HIDDEN, PNR_LIKE, Fel, InputError, Plats


UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
UTF8_MULTIBYTE = re.compile(     # one well-formed UTF-8 character of two to four bytes (RFC 3629)
    rb"[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]"
    rb"|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2}")
SEPARATORS = (";", "\t", ",")
HEAD_BYTES = 64 * 1024          # looked at before a file is read whole
MAX_HEADER_CHARS = 64 * 1024    # a longer first line is not a header
MAX_LISTED = 20                 # problems of one kind listed per file
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"     # .xls, and password-protected .xlsx
END_OF_LINE = re.compile(r"[\r\n]")
SEP_HINT = re.compile(r"(?i)^sep=.?$")                # Excel's "sep=;" line before the header
LINE_BREAK = re.compile(r"\r\n|\r|\n")             # as the csv module counts lines


# ---------------------------------------------------------------- bytes: what kind of file is this?


def safe_name(name: str) -> str:
    """A column name fit for a message: a headerless file has data (maybe a personnummer) in row 1."""
    name = name.strip().lstrip("\ufeff")
    return HIDDEN if PNR_LIKE.search(name) else name


def _where(buf: bytes | str, pos: int) -> tuple[int, str | None]:
    """(line, column name) of position `pos`; the column is counted from the separators on the line
    (quotes aside: good enough to point at a bad byte) and named from the first line."""
    nl, cr = ("\n", "\r") if isinstance(buf, str) else (b"\n", b"\r")
    line = buf.count(nl, 0, pos) + 1
    first_end = buf.find(nl)
    header = buf[: first_end if first_end >= 0 else len(buf)].rstrip(cr)
    if isinstance(header, bytes):
        header = header.removeprefix(b"\xef\xbb\xbf")
        try:
            header = header.decode("utf-8")
        except UnicodeDecodeError:
            header = header.decode("cp1252", errors="replace")
    header = header.lstrip("\ufeff")
    sep = sniff_separator(header)
    names = header.split(sep)
    if line == 1 or len(names) < 2 or not header.replace(sep, "").isprintable():
        return line, None           # no header to name a column by (a binary file, say)
    start = buf.rfind(nl, 0, pos) + 1
    before = buf[start:pos]
    index = before.count(sep if isinstance(buf, str) else sep.encode())
    return line, (safe_name(names[index]) or None) if index < len(names) else None


def check_text_head(head: bytes, size: int, fil: str) -> None:
    """Refuse a file that is not CSV text from its first bytes, before reading it whole."""
    if head.startswith(UTF16_BOMS):
        return                                      # UTF-16 text has NUL bytes; decode() checks it
    if head.startswith(ZIP_MAGIC):
        raise InputError(Fel("Filen är en Excel- eller zip-fil, inte en textfil (CSV). Spara den som CSV, "
                             "eller ge den filändelsen .xlsx om den är en Excelfil.", Plats(fil)))
    if head.startswith(OLE_MAGIC):
        raise InputError(Fel("Filen är i Excels gamla format (.xls) eller lösenordsskyddad, inte en textfil (CSV). "
                             "Spara den som CSV eller .xlsx utan lösenord.", Plats(fil)))
    nul = head.find(b"\x00")
    if nul >= 0:
        raise InputError(nul_error(head, nul, fil))
    if size > len(head) and b"\n" not in head and b"\r" not in head:
        raise InputError(long_header(fil))


def nul_error(buf: bytes | str, pos: int, fil: str) -> Fel:
    text = "Filen är inte en textfil: den innehåller NUL-tecken (byte 0x00)"
    if isinstance(buf, bytes) and _looks_like_utf16(buf):
        text += ". Den ser ut att vara sparad som UTF-16 utan byteordningsmärke (BOM); spara den som UTF-8"
    else:
        text += ", till exempel en binärfil, en avbruten kopiering eller en fil fylld med nollor"
    line, col = _where(buf, pos)
    return Fel(text + ". Det första NUL-tecknet står här.", Plats(fil, line, col if line > 1 else None))


def _looks_like_utf16(head: bytes) -> bool:
    """ASCII text in UTF-16: every other byte is NUL, all on one side."""
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    return max(even, odd) >= 0.8 * len(sample) // 2 and min(even, odd) <= 0.02 * len(sample)


def check_header_line(line: str, fil: str) -> None:
    """Line 1 must be the header. A blank line: polars would skip it and number every row too
    low, the csv module would take it as a header of no columns and refuse every row. 'sep=;':
    Excel's separator hint, which would be taken as a one-column header."""
    if not line.strip():
        raise InputError(Fel("Rad 1 är tom: rubrikraden ska stå på rad 1.", Plats(fil, 1)))
    if SEP_HINT.match(line.strip()):
        raise InputError(Fel(f"Rad 1 är '{line.strip()}', en rad som Excel lägger till före rubrikraden: ta bort "
                             "den, så att rubrikraden står på rad 1.", Plats(fil, 1)))


def listed(errors: list[Fel], fil: str) -> InputError:
    """The problems of one kind in a file: the first MAX_LISTED, and how many more there are."""
    shown = errors[:MAX_LISTED]
    if len(errors) > MAX_LISTED:
        shown.append(Fel(f"… och ytterligare {len(errors) - MAX_LISTED} sådana rader.", Plats(fil)))
    return InputError(shown)


def long_header(fil: str) -> InputError:
    return InputError(Fel(f"Rubrikraden är längre än {MAX_HEADER_CHARS // 1024} KiB (ingen radbrytning i filens början): "
                          "filen är inte en CSV-fil med kolumnnamn på rad 1.", Plats(fil, 1)))


def decode(data: bytes, fil: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode("utf-16", errors="replace").count("\n") + 1
            raise InputError(Fel("Filen börjar som UTF-16 men kan inte avkodas.", Plats(fil, line))) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        not_utf8 = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError as exc:
        line, col = _where(data, exc.start)
        where = f" i kolumnen '{col}'" if col else ""
        raise InputError(Fel(f"Byte 0x{data[exc.start]:02X}{where} kan inte avkodas: filen är varken UTF-8 eller "
                             "Windows-1252 (okänd teckenkodning). Spara den som UTF-8.", Plats(fil, line))) from None
    # Windows-1252, unless it also holds a well-formed UTF-8 multibyte sequence: then parts were saved
    # as UTF-8 and others as Windows-1252 (rows appended by another program), and reading it all as
    # Windows-1252 would turn 'Åsa' into 'Ã…sa' in payments and sheets. A Windows-1252 file practically
    # never holds such a sequence in Swedish text: it takes a capital accented letter followed by a
    # symbol or punctuation byte (0x80-0xBF: €, ‚, –, NBSP, §, °, »), or a lower-case one by two.
    # Only files that are not UTF-8 get here: the search costs the common case nothing.
    utf8 = UTF8_MULTIBYTE.search(data)
    if utf8 is not None:
        line, col = _where(data, not_utf8)
        first = data.count(b"\n", 0, utf8.start()) + 1
        raise InputError(Fel(f"Filen blandar teckenkodningar: den är UTF-8 (till exempel rad {first}) men byte "
                             f"0x{data[not_utf8]:02X} här är inte UTF-8 (troligen Windows-1252). "
                             "Spara hela filen som UTF-8.", Plats(fil, line, col))) from None
    return text


# ---------------------------------------------------------------- CSV


def sniff_separator(header: str) -> str:
    counts = {s: header.count(s) for s in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ";"


def check_header_names(names: list[str], fil: str) -> None:
    """The same column twice (ignoring case) is ambiguous: which one holds the value?"""
    seen: dict[str, int] = {}
    errors = []
    for i, name in enumerate(names, start=1):
        key = name.strip().lstrip("\ufeff").lower()
        if not key:
            continue
        if key in seen:
            errors.append(Fel(f"Kolumnen '{safe_name(name)}' förekommer flera gånger (kolumn {seen[key]} och {i}); "
                              "ta bort eller byt namn på den ena.", Plats(fil, 1, safe_name(name))))
        else:
            seen[key] = i
    if errors:
        raise InputError(errors[:MAX_LISTED])
