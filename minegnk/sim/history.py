"""Deterministic past epochs (before the simulation started) so a portal can backfill earnings history.

Every value is a pure function of (seed, epoch, address): the same seed always yields the same history.
"""

from __future__ import annotations

from functools import lru_cache

from minegnk.sim.chain_rules import GRACE_PERIOD_END_EPOCH
from minegnk.sim.ledger import Member, Summary, settle_epoch, summary_from_recorded
from minegnk.sim.roster import Counters, Participant, unit_hash
from minegnk.sim.seed_data import SeedData


class History:
    def __init__(self, seed: int, roster: list[Participant], first_epoch: int, last_epoch: int,
                 inference_blocks: int, seed_data: SeedData):
        self.seed = seed
        self.roster = roster
        self.first_epoch = first_epoch
        self.last_epoch = last_epoch
        self.inference_blocks = inference_blocks
        self.recorded = seed_data.summaries
        self.epoch_table = lru_cache(maxsize=128)(self._build_epoch_table)

    def covers(self, epoch: int) -> bool:
        return self.first_epoch <= epoch <= self.last_epoch

    def summary(self, epoch: int, address: str) -> Summary | None:
        if not self.covers(epoch):
            return None
        return self.epoch_table(epoch).get(address)

    def _counters(self, p: Participant, epoch: int) -> Counters:
        u = lambda tag: unit_hash(self.seed, epoch, p.address, tag)  # noqa: E731
        assigned = p.rate_milli * self.inference_blocks * (0.7 + 0.6 * u("load")) // 1000
        assigned = int(assigned)
        bad_epoch = u("bad") < 0.02  # a rare epoch where the host missed many requests
        miss_ppm = 450_000 if bad_epoch else p.base_miss_ppm if p.scenario != "unhealthy_missed" else 8_000
        missed = assigned * miss_ppm // 1_000_000
        served = assigned - missed
        invalidated = served * p.invalid_ppm // 1_000_000
        return Counters(
            inference_count=served,
            missed_requests=missed,
            earned_coins=served * p.price_ngonka if epoch >= GRACE_PERIOD_END_EPOCH else 0,
            validated_inferences=(served - invalidated) * 9 // 10,
            invalidated_inferences=invalidated,
        )

    def _build_epoch_table(self, epoch: int) -> dict[str, Summary]:
        members = []
        for p in self.roster:
            if p.first_epoch > epoch:
                continue
            weight = max(1, int(p.weight * (0.85 + 0.3 * unit_hash(self.seed, epoch, p.address, "weight"))))
            members.append(Member(p.address, weight, self._counters(p, epoch), "ACTIVE"))
        table = settle_epoch(epoch, members)
        weights = {m.address: m.weight for m in members}
        for (rec_epoch, address), body in self.recorded.items():
            if rec_epoch == epoch and address in weights:  # real recorded rows win over generated ones
                table[address] = summary_from_recorded(body, weights[address])
        return table
