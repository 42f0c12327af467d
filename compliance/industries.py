"""Industries, and the special ones whose entities need an extra permit (DOMAIN.md, 2025-03-27).

Kept as data: adding an industry is a new row here, read by forms, admin and the
completeness check alike.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Industry:
    code: str
    name_zh: str
    name_en: str
    permit_zh: str = ""  # the extra permit a special industry needs; empty for ordinary ones
    permit_en: str = ""

    @property
    def needs_permit(self) -> bool:
        return bool(self.permit_zh)


INDUSTRIES: tuple[Industry, ...] = (
    Industry("internet", "互联网与软件", "Internet and software"),
    Industry("retail", "零售与电商", "Retail and e-commerce"),
    Industry("manufacturing", "制造业", "Manufacturing"),
    Industry("logistics", "物流与快递", "Logistics and delivery"),
    Industry("property", "房地产与物业", "Real estate and property management"),
    Industry("travel", "旅游与出行", "Travel and transport"),
    Industry("catering", "餐饮", "Catering"),
    Industry("government", "政务与公共服务", "Government and public services"),
    Industry("other", "其他", "Other"),
    Industry("finance", "金融", "Finance", "金融许可证或相关经营许可", "financial licence or business permit"),
    Industry("insurance", "保险", "Insurance", "保险业务许可证", "insurance business permit"),
    Industry("securities", "证券与基金", "Securities and funds", "证券期货业务许可证", "securities and futures permit"),
    Industry("medical", "医疗", "Medical services", "医疗机构执业许可证", "medical institution practice licence"),
    Industry(
        "pharmaceuticals",
        "药品与医疗器械",
        "Pharmaceuticals and medical devices",
        "药品经营许可证或医疗器械经营许可证",
        "drug or medical device trading licence",
    ),  # fmt: skip
    Industry("education", "教育培训", "Education and training", "办学许可证", "school operating licence"),
    Industry(
        "gaming",
        "网络游戏",
        "Online games",
        "网络出版服务许可证及游戏版号",
        "online publishing licence and game approval",
    ),
    Industry(
        "telecom_value_added",
        "增值电信",
        "Value-added telecoms",
        "增值电信业务经营许可证",
        "value-added telecom licence",
    ),
    Industry("human_resources", "人力资源", "Human resources", "人力资源服务许可证", "human resources service licence"),
    Industry("lottery", "彩票", "Lottery", "彩票销售许可或授权", "lottery sales authorisation"),
)

BY_CODE = {industry.code: industry for industry in INDUSTRIES}


def industry(code: str) -> Industry:
    """The industry with this code; KeyError for an unknown one."""
    return BY_CODE[code]
