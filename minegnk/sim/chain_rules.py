"""Chain economics the simulated network applies at settlement (upstream-apis.md §3, §4).

Written independently of the portal's services on purpose: the simulator is the other side of the wire.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal, localcontext

NGONKA_PER_GNK = 1_000_000_000
INITIAL_EPOCH_REWARD_NGONKA = 323_000_000_000_000  # genesis bitcoin_reward_params
REWARD_DECAY_PER_EPOCH = Decimal("-0.000475")
GENESIS_EPOCH = 1
GRACE_PERIOD_END_EPOCH = 90  # work coins (inference fees) are zero before this epoch

# (total = inference_count + missed, highest passing missed count); one-sided binomial p0=0.10, alpha=0.05.
MISSED_TEST_CRITICAL = (
    (5, 3), (10, 4), (20, 5), (30, 7), (50, 10), (80, 14), (100, 16), (150, 22), (200, 28), (250, 34),
    (300, 40), (400, 51), (500, 62), (600, 73), (700, 84), (800, 95), (900, 106), (990, 116),
)


def fixed_epoch_reward(epoch: int) -> int:
    """Reward coins minted for one epoch, integer ngonka: 323e12 × e^(−0.000475 × (epoch − 1)), floored.

    Decimal with 50 digits so the integer does not depend on the platform's float exp().
    """
    with localcontext() as ctx:
        ctx.prec = 50
        factor = (REWARD_DECAY_PER_EPOCH * (epoch - GENESIS_EPOCH)).exp()
        return int((Decimal(INITIAL_EPOCH_REWARD_NGONKA) * factor).to_integral_value(rounding=ROUND_FLOOR))


def reward_share(epoch_reward: int, weight: int, total_weight: int) -> int:
    """A participant's part of the epoch reward by weight share, floored to whole ngonka."""
    if total_weight <= 0 or weight <= 0:
        return 0
    return epoch_reward * weight // total_weight


def missed_test_passes(missed: int, inference_count: int) -> bool:
    """True when the missed-request count is acceptable (rewards are zeroed when this fails)."""
    total = missed + inference_count
    if total < MISSED_TEST_CRITICAL[0][0]:
        return True
    if total > MISSED_TEST_CRITICAL[-1][0]:
        return missed * 10 <= total
    for (t0, c0), (t1, c1) in zip(MISSED_TEST_CRITICAL, MISSED_TEST_CRITICAL[1:]):
        if t0 <= total <= t1:
            # linear interpolation between table points, floored (the simulator's choice)
            critical = c0 + (c1 - c0) * (total - t0) // (t1 - t0)
            return missed <= critical
    return True  # unreachable
