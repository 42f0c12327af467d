"""Benchmark: analyze_template + check_template on typical 70-character templates, and the worst
pathological inputs (no regex may backtrack).

"Typical" is 4,000 different templates of four everyday shapes (a code, a delivery notice with a
400 number, a sale with a link, an appointment with a landline), each with its own number or
domain, so no cache helps. The repeated line sends the same four again and again, as the
as-you-type page does.

Run: `.venv/bin/python benchmarks/templates.py` (or `make bench`). Targets (issue 5): at least
20,000 templates a second on one core; no pathological input over 50 ms. Ratios against a
baseline from the same run: one NFKC normalisation of the same text.
"""

import datetime as dt
import os
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compliance.policies import policy_as_of  # noqa: E402
from compliance.templates import analyze_template, check_template  # noqa: E402

SHAPES = [
    "您的验证码为${{code}}，5分钟内有效，请勿泄露给他人。如非本人操作，请忽略本短信。谢谢您的支持与配合！{i}",
    "尊敬的${{name}}，您的订单${{order}}已发货，预计明天送达。详询客服400{n7}，感谢您的耐心等待与支持。",
    "双十一大促开启！全场五折起，详见 shop{i}.example.com ，活动仅限本周，先到先得，拒收请回复R，谢谢支持",
    "您预约的${{service}}将于${{time}}开始，请提前十分钟到达。地址：科技园路{i}号。如需改约请致电0755-8{n7}。",
]


def typical(first: int, count: int = 4_000) -> list[str]:
    """count different templates: every one has a number, a domain or an address of its own."""
    return [
        SHAPES[i % 4].format(i=i, n7=f"{2_013_388 + i * 7_919 % 7_000_000:07d}") for i in range(first, first + count)
    ]


PATHOLOGICAL = ["." * 10_000, "1" * 5_000, "【" * 2_000 + "】" * 2_000, "a." * 5_000, "${" * 3_000,
                "-" * 10_000 + "a.com", "1." * 5_000, ":" * 8_000, "a-" * 5_000 + ".com", "QQ" * 3_000,
                "例." * 5_000, "访问" * 4_000 + "a.中国", "1 " * 5_000, "138 " * 3_000, "QQ" + " " * 997 + "x",
                "微信" + " " * 997 + "x", "【" + "12345 " * 1_600, "95511-1" * 1_400, "958314验证码" * 1_000,
                "客服电话：${a}" * 1_000]  # fmt: skip


def main():
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    day = dt.date(2026, 11, 26)
    policies = {c: policy_as_of(day, c) for c in ("mobile", "unicom", "telecom")}

    texts = typical(0)
    start = time.perf_counter()
    for text in texts:
        unicodedata.normalize("NFKC", text)
    base = len(texts) / (time.perf_counter() - start)

    def check_all(texts):
        start = time.perf_counter()
        for text in texts:
            analysis = analyze_template(text, "示例科技")  # once per text, as the portal does
            for n, (carrier, policy) in enumerate(policies.items()):
                check_template(text, kind="notification", carrier=carrier, policy=policy, analysis=analysis,
                               owned_domains=("example.com",), include_general=n == 0)  # fmt: skip
        return len(texts) / (time.perf_counter() - start)

    rate = check_all(texts)
    repeated = check_all([texts[i % 4] for i in range(len(texts))])

    texts = typical(10_000)  # new numbers and domains: nothing cached
    start = time.perf_counter()
    for text in texts:
        analyze_template(text, "示例科技")
    analyze_rate = len(texts) / (time.perf_counter() - start)

    worst = 0.0
    check_template("预热", kind="marketing", as_of=day)  # the policy fold and lazy tables: once, not the input's cost
    for text in PATHOLOGICAL:
        start = time.perf_counter()
        check_template(text, kind="marketing", as_of=day)
        worst = max(worst, time.perf_counter() - start)

    print(f"baseline (NFKC of the text)                  {base:10,.0f} templates/s")
    ratio = analyze_rate / base
    print(f"analyze_template                             {analyze_rate:10,.0f} templates/s = {ratio:.3f} x baseline")
    print(f"analyze + check_template, three carriers     {rate:10,.0f} templates/s = {rate / base:.3f} x baseline"
          f"   target >= 20,000: {'OK' if rate >= 20_000 else 'MISSED'}")  # fmt: skip
    print(
        f"  the same four texts again and again        {repeated:10,.0f} templates/s = {repeated / base:.3f} x baseline"
    )
    print(f"worst pathological input                     {worst * 1000:10.1f} ms   target < 50 ms: "
          f"{'OK' if worst < 0.05 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
