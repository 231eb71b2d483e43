from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from minegnk.services.units import NGONKA_PER_GNK, epochs_per_day, format_gnk, gnk_to_ngonka, ngonka_to_gnk, per_day


def test_ngonka_to_gnk_is_exact() -> None:
    assert NGONKA_PER_GNK == 1_000_000_000
    assert ngonka_to_gnk(3805) == Decimal("0.000003805")  # tracker earned_coins: ngonka, not uGNK
    assert ngonka_to_gnk(38_627_452_617_213) == Decimal("38627.452617213")
    assert ngonka_to_gnk(10**18 + 1) == Decimal("1000000000.000000001")  # beyond 2**53, still exact
    with pytest.raises(TypeError):
        ngonka_to_gnk(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("gnk", "ngonka"),
    [("1", 10**9), ("1.5", 1_500_000_000), ("0.000000001", 1), (Decimal("38627.452617213"), 38_627_452_617_213),
     ("1_000", 10**12), (" 2.000000000 ", 2 * 10**9), (7, 7 * 10**9), ("-0.5", -500_000_000)],
)
def test_gnk_to_ngonka(gnk, ngonka) -> None:
    assert gnk_to_ngonka(gnk) == ngonka


@pytest.mark.parametrize("bad", ["1.0000000001", "0.0000000005", "abc", "NaN", "Infinity", ""])
def test_gnk_to_ngonka_rejects(bad) -> None:
    with pytest.raises(ValueError):
        gnk_to_ngonka(bad)


def test_gnk_to_ngonka_rejects_float() -> None:
    with pytest.raises(TypeError):
        gnk_to_ngonka(0.1)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ngonka", "kwargs", "text"),
    [
        (38_627_452_617_213, {}, "38,627.45"),
        (38_627_452_617_213, {"places": 0}, "38,627"),
        (38_627_452_617_213, {"places": 9}, "38,627.452617213"),
        (38_627_452_617_213, {"grouping": False, "unit": True}, "38627.45 GNK"),
        (3805, {"places": 6}, "0.000004"),
        (5_000_000, {}, "0.00"),  # 0.005 -> half-even -> 0.00
        (15_000_000, {}, "0.02"),  # 0.015 -> half-even -> 0.02
        (-1, {}, "0.00"),  # no "-0.00"
        (0, {"unit": True}, "0.00 GNK"),
    ],
)
def test_format_gnk(ngonka, kwargs, text) -> None:
    assert format_gnk(ngonka, **kwargs) == text


def test_per_day_exact_values() -> None:
    assert per_day(15391 * 6, 15391, 6) == 86_400  # one unit per second of epoch -> 86,400 per day
    expected = round(Fraction(38_627_452_617_213 * 86_400) / (15391 * Fraction("6.02")))  # round() is half-even
    assert per_day(38_627_452_617_213, 15391, "6.02") == expected == 36_020_229_992_970
    assert per_day(38_627_452_617_213, 15391, Decimal("6.02")) == expected
    assert per_day(100, 14_400, 6.0) == 100  # a float block time is accepted (it is a measurement)


def test_per_day_rounds_half_even() -> None:
    # 86400 / (172800 × 1) = 0.5 per epoch-unit
    assert [per_day(n, 172_800, 1) for n in (1, 3, 5, 7)] == [0, 2, 2, 4]


def test_per_day_decimal_input_stays_unrounded() -> None:
    result = per_day(Decimal(1), 172_800, 1)
    assert isinstance(result, Decimal) and result == Decimal("0.5")


def test_epochs_per_day_mainnet() -> None:
    assert Decimal("0.93") < epochs_per_day(15391, "6.02") < Decimal("0.94")
    assert Decimal("0.96") < epochs_per_day(15391, "5.81") < Decimal("0.97")


@pytest.mark.parametrize(("length", "block_time"), [(0, 6), (15391, 0), (15391, "-1")])
def test_per_day_rejects_non_positive(length, block_time) -> None:
    with pytest.raises(ValueError):
        per_day(1, length, block_time)
