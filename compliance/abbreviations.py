"""Abbreviations to propose when a company's full name is too long to be its signature.

A registered company name is built as region + trade name + industry + organisational form
(企业名称登记管理规定: 行政区划 + 字号 + 行业 + 组织形式), e.g. 福州 · 闽江云 · 通信科技 · 有限公司.
Dropping the region and the organisational form leaves characters that appear in the full name,
in order and without skipping (notice 2025.3.31): 闽江云通信科技; dropping the industry words one by
one gives shorter ones (闽江云通信). ``propose_abbreviations`` keeps only those that pass
``check_signature`` under the policy given, so every proposal can be filed as it stands.
"""

import unicodedata

from .policies import Policy
from .signatures import check_signature

# Provincial-level units, in the short form the longer official names start with.
PROVINCES = (
    "北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建",
    "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海",
    "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门",
)  # fmt: skip
# Cities that open company names without their 市 (a name may also open with any 2-3 characters
# followed by 省, 市, 区 or 县, recognised by that character).
CITIES = (
    "石家庄", "唐山", "保定", "廊坊", "邯郸", "太原", "大同", "沈阳", "大连", "鞍山", "长春", "吉林", "哈尔滨",
    "大庆", "南京", "无锡", "徐州", "常州", "苏州", "南通", "扬州", "镇江", "泰州", "盐城", "连云港", "杭州",
    "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "台州", "舟山", "合肥", "芜湖", "蚌埠", "福州", "厦门",
    "泉州", "漳州", "莆田", "三明", "南平", "龙岩", "宁德", "南昌", "赣州", "九江", "济南", "青岛", "烟台",
    "潍坊", "淄博", "威海", "临沂", "济宁", "郑州", "洛阳", "开封", "武汉", "宜昌", "襄阳", "长沙", "株洲",
    "湘潭", "岳阳", "广州", "深圳", "珠海", "汕头", "佛山", "东莞", "中山", "惠州", "江门", "湛江", "肇庆",
    "海口", "三亚", "成都", "绵阳", "宜宾", "贵阳", "遵义", "昆明", "西安", "咸阳", "兰州", "西宁", "南宁",
    "柳州", "桂林", "拉萨", "银川", "乌鲁木齐", "呼和浩特", "包头",
)  # fmt: skip
REGION_SUFFIXES = ("自治区", "特别行政区", "省", "市", "区", "县")
# Longest first, stripped repeatedly from the end: 集团股份有限公司 → 集团 → (nothing).
ORGANISATIONAL_FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "股份公司", "分公司", "公司", "集团", "合伙企业", "企业",
    "工作室", "事务所", "研究院", "中心", "厂",
)  # fmt: skip
# Industry words dropped one at a time from the end to give shorter proposals.
INDUSTRY_WORDS = (
    "信息技术", "网络科技", "信息科技", "电子商务", "文化传媒", "科技", "技术", "通信", "网络", "信息", "软件",
    "电子", "数据", "智能", "传媒", "文化", "贸易", "实业", "发展", "投资", "控股", "咨询", "服务", "管理",
    "医药", "生物", "物流", "能源", "电器", "食品", "教育", "数字", "云计算",
)  # fmt: skip


def _strip_region(name: str) -> tuple[str, str]:
    """(region, rest): the administrative regions the name opens with, however many (广东省深圳市…),
    leaving at least two characters."""
    region = ""
    while True:
        found = ""
        for place in sorted(PROVINCES + CITIES, key=len, reverse=True):
            if name.startswith(place):
                found = place
                for suffix in REGION_SUFFIXES:
                    if name.startswith(place + suffix):
                        found = place + suffix
                        break
                break
        if not found:
            # Any other region, known by its suffix: 2-3 characters, then 省/市/县 (闽侯县), or 区 after a
            # region already found (福州市鼓楼区; alone, 区 is too often a word: 区块链).
            suffixes = "省市县区" if region else "省市县"
            for size in (2, 3):
                if len(name) > size and name[size] in suffixes:
                    found = name[: size + 1]
                    break
        if not found or len(name) - len(found) < 2:
            return region, name
        region, name = region + found, name[len(found) :]


def _strip_form(name: str) -> str:
    """The name without its organisational forms, and a branch's place (…有限公司福州分公司)."""
    changed = True
    while changed:
        changed = False
        for form in ORGANISATIONAL_FORMS:
            if name.endswith(form) and len(name) - len(form) >= 2:
                name, changed = name[: -len(form)], True
                if form == "分公司":
                    name = _strip_trailing_place(name)
                break
    return name


def _strip_trailing_place(name: str) -> str:
    for place in sorted(PROVINCES + CITIES, key=len, reverse=True):
        for suffix in ("市", "省", ""):
            if name.endswith(place + suffix) and len(name) - len(place + suffix) >= 2:
                return name[: -len(place + suffix)]
    if len(name) > 4 and name[-1] in "市区县":  # another place, known by its suffix (鼓楼区分公司)
        return name[:-3]
    return name


def abbreviation_candidates(full_name: str) -> list[str]:
    """In-order abbreviations built from ``full_name``, best first, unchecked: the trade name with
    its industry words dropped one by one, the trade name with its industry, and the region with it."""
    name = unicodedata.normalize("NFKC", full_name or "").strip()
    region, core = _strip_region(_strip_form(name))
    shorter = []
    stem = core
    while True:
        word = next((w for w in INDUSTRY_WORDS if stem.endswith(w) and len(stem) - len(w) >= 2), None)
        if word is None:
            break
        stem = stem[: -len(word)]
        shorter.append(stem)
    # One industry word dropped reads best (闽江云通信); then the whole trade name and industry.
    ordered = shorter[:1] + [core] + shorter[1:] + ([region + core] if region else [])
    return [c for c in dict.fromkeys(ordered) if c and c != name]


def proposes_abbreviations(full_name: str, *, policy: Policy, entity_mainland: bool = True) -> bool:
    """Whether to propose abbreviations of ``full_name``: it breaks SIG_LENGTH as a full-name signature
    under ``policy`` (the platform's length limit), and the entity may file signatures at all (none
    outside mainland China from 2026-05-01, notice 2026.4.23: an abbreviation would fail the same)."""
    found = {v.code for v in check_signature(full_name, source="full_name", entity_name=full_name,
                                             entity_mainland=entity_mainland, policy=policy)}  # fmt: skip
    return "SIG_LENGTH" in found and "SIG_NON_MAINLAND" not in found


def propose_abbreviations(
    full_name: str, *, policy: Policy, entity_mainland: bool = True, taken_by_others=(), limit: int = 3
) -> list[str]:
    """Up to ``limit`` abbreviations of ``full_name`` that pass ``check_signature`` as abbreviations
    of an entity in mainland China or not (``entity_mainland``) under ``policy`` with nothing to fix
    or acknowledge (no error, no warning)."""
    proposals = []
    for candidate in abbreviation_candidates(full_name):
        found = check_signature(candidate, source="abbreviation", entity_name=full_name, policy=policy,
                                entity_mainland=entity_mainland, taken_by_others=taken_by_others)  # fmt: skip
        if not found:
            proposals.append(candidate)
        if len(proposals) == limit:
            break
    return proposals
