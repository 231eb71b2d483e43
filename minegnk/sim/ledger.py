"""Settlement: turns an epoch's final counters and weights into epoch performance summaries."""

from __future__ import annotations

from dataclasses import dataclass

from minegnk.sim.chain_rules import fixed_epoch_reward, missed_test_passes, reward_share
from minegnk.sim.roster import Counters


@dataclass(frozen=True)
class Summary:
    """One row of chain epoch_performance_summary; coins in integer ngonka."""

    epoch: int
    address: str
    weight: int
    inference_count: int
    missed_requests: int
    earned_coins: int
    rewarded_coins: int
    burned_coins: int
    validated_inferences: int
    invalidated_inferences: int


@dataclass(frozen=True)
class Member:
    address: str
    weight: int
    counters: Counters
    chain_status: str


def settle_epoch(epoch: int, members: list[Member]) -> dict[str, Summary]:
    """rewarded = fixed_epoch_reward(epoch) × weight // Σ weight of the epoch's active set;
    0 for INVALID hosts or a failed missed-request test (the forfeited share goes to burned_coins,
    the simulator's choice: the real chain's burned_coins semantics are not recorded)."""
    fixed = fixed_epoch_reward(epoch)
    total = sum(m.weight for m in members)
    out: dict[str, Summary] = {}
    for m in members:
        share = reward_share(fixed, m.weight, total)
        c = m.counters
        eligible = m.chain_status != "INVALID" and missed_test_passes(c.missed_requests, c.inference_count)
        out[m.address] = Summary(
            epoch=epoch, address=m.address, weight=m.weight,
            inference_count=c.inference_count, missed_requests=c.missed_requests, earned_coins=c.earned_coins,
            rewarded_coins=share if eligible else 0, burned_coins=0 if eligible else share,
            validated_inferences=c.validated_inferences, invalidated_inferences=c.invalidated_inferences,
        )
    return out


def summary_from_recorded(body: dict, weight: int) -> Summary:
    return Summary(
        epoch=int(body["epoch_index"]), address=body["participant_id"], weight=weight,
        inference_count=int(body["inference_count"]), missed_requests=int(body["missed_requests"]),
        earned_coins=int(body["earned_coins"]), rewarded_coins=int(body["rewarded_coins"]),
        burned_coins=int(body["burned_coins"]), validated_inferences=int(body["validated_inferences"]),
        invalidated_inferences=int(body["invalidated_inferences"]),
    )
