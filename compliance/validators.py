"""Identity codes, exactly per their national standards.

- ``is_valid_uscc``: 统一社会信用代码, GB 32100-2015.
- ``is_valid_resident_id``: 公民身份号码, GB 11643-1999, including the Hong Kong, Macao and
  Taiwan residence permits (810000 / 820000 / 830000).

Both judge the canonical form (upper case, no spaces or separators): forms call
``normalize_code`` first, which also folds full-width characters.

python-stdnum is the usual library but rejects valid codes (USCCs whose first two
positions are letters, births before 1900, residence permits), so the tests use it as an
oracle where both agree, never as the implementation.
"""

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

import idna

CHINA = ZoneInfo("Asia/Shanghai")

# GB 32100-2015: the 31 characters a USCC may use (no I, O, S, V, Z), in check-value order.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"^[1-9A-HJ-NP-RTUWXY]{2}[0-9]{6}[0-9A-HJ-NP-RTUWXY]{10}$")

# GB 11643-1999.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# Province-level codes of GB/T 2260, plus Taiwan (71) on old cards; 81/82/83 are the
# residence-permit prefixes of Hong Kong, Macao and Taiwan residents (GB 11643 as amended in 2018).
PROVINCES = frozenset(str(code) for code in (11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43,
                                            44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71))  # fmt: skip
RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})
# The oldest holders of a valid card were born in the 1880s.
EARLIEST_BIRTH = dt.date(1880, 1, 1)

_SEPARATORS = re.compile(r"[\s\-_/·.]+")


def normalize_code(text: str) -> str:
    """Canonical form of a typed code: full-width folded (NFKC), separators removed, upper case."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def uscc_check_character(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are given."""
    total = sum(USCC_CHARSET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is a well-formed USCC with the right check character (GB 32100-2015).

    Positions 1-2 (registration authority, entity type) may be letters; 3-8 are the
    administrative division (digits); 9-17 the organization code; 18 the check character.
    """
    if not isinstance(code, str) or not _USCC_SHAPE.fullmatch(code):
        return False
    return uscc_check_character(code[:17]) == code[17]


def resident_id_check_character(first17: str) -> str:
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def resident_id_birth_date(number: str) -> dt.date | None:
    """The birth date a resident ID number encodes, or None if it is no real date."""
    try:
        return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def resident_id_problem(number: str, *, as_of: dt.date | None = None) -> str | None:
    """What is wrong with a resident ID number (GB 11643-1999), or None if it is valid.

    One of "shape" (not 17 digits and a digit or X), "region" (not a province-level code or a
    residence-permit prefix), "birth_date" (no real date, or outside 1880 to ``as_of``, which
    defaults to today in Asia/Shanghai), "check_digit" (ISO 7064 MOD 11-2).
    """
    if not isinstance(number, str) or not _ID_SHAPE.fullmatch(number):
        return "shape"
    region = number[:6]
    if region[:2] not in PROVINCES and region not in RESIDENCE_PERMIT_REGIONS:
        return "region"
    born = resident_id_birth_date(number)
    today = as_of or dt.datetime.now(CHINA).date()
    if born is None or not (EARLIEST_BIRTH <= born <= today):
        return "birth_date"
    if resident_id_check_character(number[:17]) != number[17]:
        return "check_digit"
    return None


def is_valid_resident_id(number: str, *, as_of: dt.date | None = None) -> bool:
    """True when ``number`` is a valid 18-digit resident ID number (GB 11643-1999): see resident_id_problem."""
    return resident_id_problem(number, as_of=as_of) is None


def mask_id_number(number: str) -> str:
    """Shown to everyone but reviewers: the region and the last four, e.g. 110105********002X."""
    number = number or ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalize_domain(text: str) -> str | None:
    """A host name as carriers compare it (lower case, IDNA/punycode, no scheme, path or port), or None."""
    host = unicodedata.normalize("NFKC", (text or "").strip()).lower()
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", host).split("/", 1)[0].split("?", 1)[0].split(":", 1)[0].rstrip(".")
    try:
        # IDNA 2008 with UTS #46 mapping (the `idna` package): Python's own codec is IDNA 2003,
        # which maps faß.de to fass.de, another domain.
        host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = host.split(".")
    if len(labels) < 2 or len(host) > 253 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # an IP address, not a domain
        return None
    return host


def normalize_ip(text: str) -> str | None:
    """An IPv4 or IPv6 address in its canonical form, or None."""
    import ipaddress

    try:
        return str(ipaddress.ip_address((text or "").strip().strip("[]")))
    except ValueError:
        return None
