"""The chain's missed-request test (doc §4): one-sided binomial test, p0 = 0.10, α = 0.05.

A host passes when missed ≤ critical(total), total = inference_count + missed. Below 5 requests the test passes
(too few to judge); between table points the critical value is interpolated linearly (as the tracker does);
above 990 the limit is 10 % of total. The same table is used for the invalidation test
(invalidated out of validated + invalidated), which is how the tracker flags invalidation ([T+] task-20).
Comparisons are exact (Fraction), never float.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

# (total, critical): pass if failures <= critical
CRITICAL_VALUES: tuple[tuple[int, int], ...] = (
    (5, 3), (10, 4), (20, 5), (30, 7), (50, 10), (80, 14), (100, 16), (150, 22), (200, 28), (250, 34),
    (300, 40), (400, 51), (500, 62), (600, 73), (700, 84), (800, 95), (900, 106), (990, 116),
)
MIN_TOTAL = CRITICAL_VALUES[0][0]
MAX_TABLE_TOTAL = CRITICAL_VALUES[-1][0]
LARGE_TOTAL_LIMIT = Fraction(1, 10)


@dataclass(frozen=True, slots=True)
class MissedTestResult:
    passed: bool
    total: int
    critical: Decimal | None  # None when total < 5 (not judged); floored to 2 dp for display
    missed: int

    @property
    def judged(self) -> bool:
        return self.critical is not None


def critical_value(total: int) -> Fraction | None:
    """Exact critical value for `total` requests; None below the table (always passes)."""
    if total < MIN_TOTAL:
        return None
    if total > MAX_TABLE_TOTAL:
        return total * LARGE_TOTAL_LIMIT
    for (lo_total, lo_crit), (hi_total, hi_crit) in zip(CRITICAL_VALUES, CRITICAL_VALUES[1:], strict=False):
        if lo_total <= total <= hi_total:
            return lo_crit + Fraction(total - lo_total, hi_total - lo_total) * (hi_crit - lo_crit)
    raise AssertionError("unreachable: table covers MIN_TOTAL..MAX_TABLE_TOTAL")


def binomial_failure_test(failures: int, total: int) -> MissedTestResult:
    """Generic form: `failures` out of `total` trials."""
    if failures < 0 or total < 0:
        raise ValueError("counts must be non-negative")
    if failures > total:
        raise ValueError("failures cannot exceed total")
    critical = critical_value(total)
    if critical is None:
        return MissedTestResult(passed=True, total=total, critical=None, missed=failures)
    # Floor keeps "missed ≤ shown critical" consistent with the exact comparison for integer counts.
    shown = (Decimal(critical.numerator) / Decimal(critical.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_FLOOR
    )
    return MissedTestResult(passed=failures <= critical, total=total, critical=shown, missed=failures)


def missed_test(missed: int, inference_count: int) -> MissedTestResult:
    """The chain's missed-request test on epoch counters."""
    if missed < 0 or inference_count < 0:
        raise ValueError("counts must be non-negative")
    return binomial_failure_test(missed, inference_count + missed)


def invalidation_test(invalidated: int, validated: int) -> MissedTestResult:
    """Invalidation test: invalidated out of all validated inferences (validated + invalidated)."""
    if invalidated < 0 or validated < 0:
        raise ValueError("counts must be non-negative")
    return binomial_failure_test(invalidated, validated + invalidated)
