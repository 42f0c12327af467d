"""The three carriers, named as the domain names them (DOMAIN.md glossary)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Carrier:
    code: str
    name_zh: str
    name_en: str


MOBILE = Carrier("mobile", "中国移动", "China Mobile")
UNICOM = Carrier("unicom", "中国联通", "China Unicom")
TELECOM = Carrier("telecom", "中国电信", "China Telecom")

CARRIERS: tuple[Carrier, ...] = (MOBILE, UNICOM, TELECOM)
