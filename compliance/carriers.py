"""The three carriers, named as the domain names them (DOMAIN.md glossary)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    code: str
    name_zh: str
    name_en: str
    short_zh: str  # as a rule's sentence names it: "移动：……"

    def name(self, chinese: bool) -> str:
        return self.name_zh if chinese else self.name_en


MOBILE = Carrier("mobile", "中国移动", "China Mobile", "移动")
UNICOM = Carrier("unicom", "中国联通", "China Unicom", "联通")
TELECOM = Carrier("telecom", "中国电信", "China Telecom", "电信")

# The one list of carriers, in the order customers know them in; everything else derives from it.
CARRIERS: tuple[Carrier, ...] = (MOBILE, UNICOM, TELECOM)
CODES: tuple[str, ...] = tuple(c.code for c in CARRIERS)
BY_CODE = {c.code: c for c in CARRIERS}


def code_of(word: str) -> str | None:
    """The carrier a person or a file names: its code, Chinese name or short name (中国移动, 移动), or
    English name (China Mobile), in any case and spacing; None for anything else."""
    word = " ".join(word.split()).lower()
    for carrier in CARRIERS:
        if word in (carrier.code, carrier.name_zh, carrier.short_zh, carrier.name_en.lower()):
            return carrier.code
    return None
