from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest

from minegnk.services.earnings import (
    EpochEarning,
    average_per_day,
    average_per_epoch,
    earning_from_summary,
    estimate_per_day,
    fixed_epoch_reward,
    reward_estimate,
    sum_earnings,
)
from minegnk.services.units import format_gnk
from minegnk.upstream.schemas import parse_epoch_participants, parse_epoch_performance_summary

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "upstream"
ADDR = "gonka14cu38xpsd8pz5zdkkzwf0jwtpc0vv309ake364"


def summaries():
    return [parse_epoch_performance_summary(json.loads((FIXTURES / f"tracker_epoch_performance_summary_{n}_gonka14cu38x.json").read_text()))
            for n in (51, 52, 53, 54)]


def test_fixed_epoch_reward() -> None:
    assert fixed_epoch_reward(1) == 323_000_000_000_000
    assert fixed_epoch_reward(56) == 314_670_897_622_954  # doc §3.1: 314,670.9 GNK
    assert fixed_epoch_reward(57) < fixed_epoch_reward(56)
    with pytest.raises(ValueError):
        fixed_epoch_reward(0)


def test_epoch_56_estimate_matches_the_chain() -> None:
    """Doc §3.1: weight 37,778 of 307,751 in epoch 56 was paid 38,627,452,617,213 ngonka."""
    participants = parse_epoch_participants(json.loads((FIXTURES / "tracker_current_epoch_participants.json").read_text()))
    me = participants.participant(ADDR)
    assert me is not None
    estimate = reward_estimate(participants.epoch_id, me.weight, participants.total_weight)
    assert (estimate.epoch, estimate.weight, estimate.total_weight) == (56, 37_778, 307_751)
    assert estimate.is_estimate is True
    assert estimate.reward_ngonka == 38_627_452_617_213
    assert format_gnk(estimate.reward_ngonka) == "38,627.45"


def test_estimate_edge_cases() -> None:
    assert reward_estimate(56, 0, 0).reward_ngonka == 0
    assert reward_estimate(56, 10, 10).reward_ngonka == fixed_epoch_reward(56)
    with pytest.raises(ValueError):
        reward_estimate(56, 11, 10)
    with pytest.raises(ValueError):
        reward_estimate(56, -1, 10)


def test_settled_epochs_from_fixtures() -> None:
    earnings = [earning_from_summary(s) for s in summaries()]
    assert [e.epoch for e in earnings] == [51, 52, 53, 54]
    assert earnings[2] == EpochEarning(53, 48_552_031_736_571, 0, True)
    totals = sum_earnings(earnings)
    assert totals.epochs == 4
    assert totals.reward_ngonka == 99_394_477_152_816 and totals.work_ngonka == 0
    assert totals.total_ngonka == 99_394_477_152_816
    assert totals.claimed_ngonka == 99_394_477_152_816 and totals.unclaimed_ngonka == 0
    assert average_per_epoch(earnings) == 99_394_477_152_816 // 4
    per_epoch = 99_394_477_152_816 // 4
    assert average_per_day(earnings, 15391, "6.02") == round(Fraction(per_epoch * 86_400) / (15391 * Fraction("6.02")))
    assert average_per_epoch([]) == 0


def test_total_includes_work_coins_and_unclaimed() -> None:
    earnings = [EpochEarning(100, 5, 3, False), EpochEarning(101, 10, 1, True)]
    assert earnings[0].total_ngonka == 8
    totals = sum_earnings(earnings)
    assert (totals.claimed_ngonka, totals.unclaimed_ngonka, totals.total_ngonka) == (11, 8, 19)


def test_duplicate_epoch_is_rejected() -> None:
    with pytest.raises(ValueError):
        sum_earnings([EpochEarning(1, 1, 0, True), EpochEarning(1, 1, 0, True)])


def test_estimate_per_day() -> None:
    estimate = reward_estimate(56, 37_778, 307_751)
    assert estimate_per_day(estimate, 15391, "6.02") == 36_020_229_992_970
