"""Benchmark: compliance.check_signature calls per second on one core, for typical inputs.

Run: `.venv/bin/python benchmarks/check_signature.py` (or `make bench`). Target (issue 4):
at least 50,000 calls a second. Printed as a rate, and as a ratio against a baseline measured
in the same run: one `unicodedata.category` per character of the same inputs, the least any
character-level check must cost.
"""

import datetime as dt
import os
import sys
import time
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from compliance import check_signature, policy_as_of  # noqa: E402

ENTITY = "北京百度网讯科技有限公司"
CASES = [
    ("百度", "abbreviation"),
    ("度百", "abbreviation"),
    ("百度科技", "abbreviation"),
    ("Baidu", "abbreviation"),
    ("百度地图", "trademark"),
    ("【百度】", "abbreviation"),
    (ENTITY, "full_name"),
    ("验证码", "abbreviation"),
]
TAKEN = ("小米", "华为", "腾讯")
N = 200_000


def rate(fn) -> float:
    start = time.perf_counter()
    fn()
    return N / (time.perf_counter() - start)


def main():
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    policy = policy_as_of(dt.date(2026, 11, 26))

    def baseline():
        for i in range(N):
            for ch in CASES[i % len(CASES)][0]:
                unicodedata.category(ch)

    def with_policy():
        for i in range(N):
            text, source = CASES[i % len(CASES)]
            check_signature(text, source=source, entity_name=ENTITY, policy=policy, taken_by_others=TAKEN)

    def resolving_policy():
        for i in range(N // 10):
            text, source = CASES[i % len(CASES)]
            check_signature(text, source=source, entity_name=ENTITY, as_of=dt.date(2026, 11, 26))

    base = rate(baseline)
    checked = rate(with_policy)
    resolved = rate(resolving_policy) / 10
    print(f"baseline (category per character)      {base:12,.0f} inputs/s")
    print(f"check_signature, policy resolved once   {checked:12,.0f} calls/s  = {checked / base:.2f} x baseline"
          f"   target >= 50,000: {'OK' if checked >= 50_000 else 'MISSED'}")  # fmt: skip
    print(f"check_signature, policy_as_of each call {resolved:12,.0f} calls/s  = {resolved / base:.2f} x baseline")


if __name__ == "__main__":
    main()
