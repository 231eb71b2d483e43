from __future__ import annotations

from decimal import Decimal

import pytest

from minegnk.services.missed_test import CRITICAL_VALUES, critical_value, invalidation_test, missed_test


@pytest.mark.parametrize(("total", "critical"), CRITICAL_VALUES)
def test_table_points(total: int, critical: int) -> None:
    at_limit = missed_test(critical, total - critical)
    assert at_limit.passed and at_limit.total == total and at_limit.critical == Decimal(critical)
    over = missed_test(critical + 1, total - critical - 1)
    assert not over.passed


def test_published_table_values() -> None:
    assert dict(CRITICAL_VALUES) == {5: 3, 10: 4, 20: 5, 30: 7, 50: 10, 80: 14, 100: 16, 150: 22, 200: 28, 250: 34,
                                     300: 40, 400: 51, 500: 62, 600: 73, 700: 84, 800: 95, 900: 106, 990: 116}


@pytest.mark.parametrize(
    ("missed", "total", "passed", "critical"),
    [
        (17, 195, True, Decimal("27.40")),  # tracker doc example: 22 + 0.9 × 6
        (27, 195, True, Decimal("27.40")),
        (28, 195, False, Decimal("27.40")),
        (8, 40, True, Decimal("8.50")),  # 7 + 0.5 × 3
        (9, 40, False, Decimal("8.50")),
        (3, 7, True, Decimal("3.40")),
        (4, 7, False, Decimal("3.40")),
        (6, 25, True, Decimal("6.00")),  # 5 + 0.5 × 2
        (7, 25, False, Decimal("6.00")),
        (8, 37, True, Decimal("8.05")),  # 7 + 7/20 × 3 = 8.05
        (9, 37, False, Decimal("8.05")),
        (107, 910, True, Decimal("107.11")),  # 106 + 10/90 × 10 = 107.111… floored for display
        (108, 910, False, Decimal("107.11")),
    ],
)
def test_interpolation(missed, total, passed, critical) -> None:
    result = missed_test(missed, total - missed)
    assert (result.passed, result.critical, result.total, result.missed) == (passed, critical, total, missed)


@pytest.mark.parametrize(("missed", "total"), [(0, 0), (4, 4), (2, 3), (4, 4)])
def test_below_five_always_passes(missed, total) -> None:
    result = missed_test(missed, total - missed)
    assert result.passed and result.critical is None and not result.judged


@pytest.mark.parametrize(
    ("missed", "total", "passed"), [(99, 991, True), (100, 991, False), (100, 1000, True), (101, 1000, False),
                                    (1000, 10_000, True), (1001, 10_000, False)],
)
def test_above_990_uses_ten_percent(missed, total, passed) -> None:
    assert missed_test(missed, total - missed).passed is passed


def test_exact_fraction_no_float_drift() -> None:
    assert critical_value(40) == 8.5
    assert critical_value(4) is None


def test_invalidation_test_uses_validated_plus_invalidated() -> None:
    assert invalidation_test(10, 40).passed  # 10 of 50 ≤ 10
    fails = invalidation_test(11, 39)
    assert not fails.passed and fails.total == 50 and fails.missed == 11


@pytest.mark.parametrize(("a", "b"), [(-1, 5), (5, -1)])
def test_negative_counts_rejected(a, b) -> None:
    with pytest.raises(ValueError):
        missed_test(a, b)
    with pytest.raises(ValueError):
        invalidation_test(a, b)
