"""Earnings rules: the fixed epoch reward, the current-epoch estimate, settled-epoch sums (doc §3).

Genesis parameters ([G] genesis `bitcoin_reward_params`): initial epoch reward 323,000 GNK, decay −0.000475 per
epoch, genesis epoch 1: fixed_reward(epoch) = initial × e^(decay × (epoch − 1)).
Money is int ngonka; exponentials are computed in Decimal with ample precision and then floored to whole ngonka
(the chain pays integers and truncates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, localcontext

from minegnk.services.units import per_day
from minegnk.upstream.schemas import EpochPerformanceSummary

INITIAL_EPOCH_REWARD_NGONKA = 323_000_000_000_000
REWARD_DECAY_RATE = Decimal("-0.000475")
GENESIS_EPOCH = 1
_PRECISION = 50


def fixed_epoch_reward(epoch: int) -> int:
    """Network-wide reward minted for `epoch`, in ngonka (floored)."""
    if epoch < GENESIS_EPOCH:
        raise ValueError(f"epoch must be >= {GENESIS_EPOCH}")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        factor = (REWARD_DECAY_RATE * (epoch - GENESIS_EPOCH)).exp()
        return int((INITIAL_EPOCH_REWARD_NGONKA * factor).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True, slots=True)
class RewardEstimate:
    """An ESTIMATE of a not-yet-settled epoch reward: newer chains scale weights (collateral, confirmation,
    per-model factors), so replace it by the settled epoch_performance_summary as soon as that exists."""

    epoch: int
    weight: int
    total_weight: int
    fixed_reward_ngonka: int
    reward_ngonka: int
    is_estimate: bool = True


def reward_estimate(epoch: int, weight: int, total_weight: int) -> RewardEstimate:
    """fixed_reward(epoch) × weight / total_weight, floored to whole ngonka (doc §3.3)."""
    if weight < 0 or total_weight < 0:
        raise ValueError("weights must be non-negative")
    if weight > total_weight:
        raise ValueError("weight cannot exceed total_weight")
    fixed = fixed_epoch_reward(epoch)
    reward = fixed * weight // total_weight if total_weight else 0  # integer math: exact floor
    return RewardEstimate(epoch, weight, total_weight, fixed, reward)


@dataclass(frozen=True, slots=True)
class EpochEarning:
    """What one node earned in one settled epoch, in ngonka."""

    epoch: int
    reward_ngonka: int  # epoch reward coins (minted, split by PoC weight)
    work_ngonka: int  # work coins (inference fees; zero before epoch 90)
    claimed: bool

    @property
    def total_ngonka(self) -> int:
        return self.reward_ngonka + self.work_ngonka


def earning_from_summary(summary: EpochPerformanceSummary) -> EpochEarning:
    return EpochEarning(
        epoch=summary.epoch_index,
        reward_ngonka=summary.rewarded_coins,
        work_ngonka=summary.earned_coins,
        claimed=summary.claimed,
    )


@dataclass(frozen=True, slots=True)
class EarningsTotals:
    epochs: int
    reward_ngonka: int
    work_ngonka: int
    claimed_ngonka: int
    unclaimed_ngonka: int

    @property
    def total_ngonka(self) -> int:
        return self.reward_ngonka + self.work_ngonka


def sum_earnings(earnings: Iterable[EpochEarning]) -> EarningsTotals:
    """Sum settled epochs. Duplicate epochs are an upstream/storage bug, so they raise instead of double-counting."""
    seen: set[int] = set()
    reward = work = claimed = unclaimed = 0
    for earning in earnings:
        if earning.epoch in seen:
            raise ValueError(f"epoch {earning.epoch} counted twice")
        seen.add(earning.epoch)
        reward += earning.reward_ngonka
        work += earning.work_ngonka
        if earning.claimed:
            claimed += earning.total_ngonka
        else:
            unclaimed += earning.total_ngonka
    return EarningsTotals(len(seen), reward, work, claimed, unclaimed)


def average_per_epoch(earnings: Iterable[EpochEarning]) -> int:
    """Mean total per settled epoch (floored ngonka); 0 when there is nothing settled."""
    totals = sum_earnings(earnings)
    return totals.total_ngonka // totals.epochs if totals.epochs else 0


def average_per_day(
    earnings: Iterable[EpochEarning], epoch_length_blocks: int, avg_block_time_s: Decimal | int | str
) -> int:
    """Mean ngonka per day over the given settled epochs, using the measured epoch duration."""
    result = per_day(average_per_epoch(earnings), epoch_length_blocks, avg_block_time_s)
    assert isinstance(result, int)
    return result


def estimate_per_day(
    estimate: RewardEstimate, epoch_length_blocks: int, avg_block_time_s: Decimal | int | str
) -> int:
    result = per_day(estimate.reward_ngonka, epoch_length_blocks, avg_block_time_s)
    assert isinstance(result, int)
    return result
