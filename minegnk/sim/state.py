"""The simulated Gonka network's state: block height, epochs, participants, counters, settlement, incidents.

Time: the height advances with wall time (one block per block_seconds / speed seconds; speed 0 freezes it)
and by advance(). Epoch E runs from poc_start(E) for epoch_length blocks. Counters of epoch E grow only in
its Inference phase [poc_validation_end(E), poc_start(E+1)); epoch E settles at poc_validation_end(E+1),
as on the chain (upstream-apis.md §1.4.5), which writes its summaries and resets the counters.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from datetime import datetime, timedelta, timezone

from minegnk.sim.chain_rules import GRACE_PERIOD_END_EPOCH
from minegnk.sim.epochs import EpochGeometry
from minegnk.sim.history import History
from minegnk.sim.ledger import Member, Summary, settle_epoch
from minegnk.sim.roster import (
    HIGH_MISS_PPM, SCENARIO_KEYS, Counters, Participant, build_roster, restore_baseline, unit_hash,
)
from minegnk.sim.seed_data import load_seed

log = logging.getLogger(__name__)

RECORDED_EPOCH = 105  # the recorded /v1/epochs/latest is epoch 105 at poc_start 1,627,410
INCIDENT_KINDS = (
    "jail", "unjail", "offline", "online", "miss_requests", "ml_node_failed", "inactive", "active",
    "unclaimed", "claim", "ramping", "invalid", "reset",
)
# what the scripted timer does, in turn, and after how many epoch-lengths it reverts (None = never)
SCRIPTED_CYCLE = (
    ("jail", "unjail", 0.5),
    ("offline", "online", 0.34),
    ("miss_requests", "reset", 1.0),
    ("ml_node_failed", "reset", 0.5),
    ("unclaimed", "claim", 2.0),
    ("inactive", "active", 1.0),
    ("ramping", "reset", 0.5),
)


class UnknownParticipant(KeyError):
    pass


class Simulator:
    def __init__(
        self,
        seed: int = 1,
        participants: int = 60,
        epoch_length: int = 120,
        block_seconds: float = 6.0,
        speed: float = 1.0,
        history_epochs: int = 60,
        start_epoch: int = RECORDED_EPOCH,
        node_count: int = 3,
        scripted: bool = True,
        public_base: str | None = None,
        fault_timeout_seconds: float = 30.0,
        fault_slow_seconds: float = 2.0,
        offline_hang_seconds: float = 30.0,
        clock=time.monotonic,
    ):
        self.lock = threading.RLock()
        self.seed = seed
        self.block_seconds = float(block_seconds)
        self.speed = float(speed)
        self.node_count = node_count
        self.scripted = scripted
        self.public_base = public_base.rstrip("/") if public_base else None
        self.fault_timeout_seconds = fault_timeout_seconds
        self.fault_slow_seconds = fault_slow_seconds
        self.offline_hang_seconds = offline_hang_seconds
        self._clock = clock

        self.seed_data = load_seed()
        recorded_start = self.seed_data.epochs_latest["epoch_stages"]["poc_start"]
        anchor = recorded_start + (start_epoch - RECORDED_EPOCH) * epoch_length
        self.geometry = EpochGeometry.build(epoch_length, start_epoch, anchor, self.seed_data.epochs_latest)
        self.start_epoch = start_epoch
        # start a third into the Inference phase so counters already show traffic
        self.start_height = self.geometry.inference_start(start_epoch) + self.geometry.inference_blocks() // 3
        self.height = self.start_height
        self.height_reached_at = datetime.now(timezone.utc)
        self._wall_anchor = clock()
        self.version = 0

        first_history = start_epoch - history_epochs
        self.roster: list[Participant] = build_roster(
            self.seed_data, seed, participants, first_history, start_epoch, self.start_height, epoch_length,
        )
        self.by_address = {p.address: p for p in self.roster}
        self.scenarios = {p.scenario: p.address for p in self.roster if p.scenario}
        self.history = History(seed, self.roster, first_history, start_epoch - 1,
                               self.geometry.inference_blocks(), self.seed_data)
        self.settled: dict[int, dict[str, Summary]] = {}
        self.unclaimed: dict[int, set[str]] = {start_epoch - 1: {p.address for p in self.roster if p.never_claims}}
        self.epoch_members: dict[int, dict[str, tuple[int, str]]] = {}
        self.offline_since: dict[str, int] = {p.address: self.start_height for p in self.roster if not p.online}
        self.incident_log: list[dict] = []
        self._timed: list[tuple[int, int, str, str, str]] = []  # (height, seq, address, kind, source)
        self._seq = 0
        self._scripted_turn = 0
        self._scripted_cast = [p.address for p in self.roster if not p.scenario and not p.real and p.in_active_set]
        self._incident_every = max(5, epoch_length // 4)
        if scripted and self._scripted_cast:
            self._schedule(self.height + self._incident_every, "", "scripted", "timer")

    # ------------------------------------------------------------------ time
    def tick(self) -> None:
        """Advance the height by the wall time passed since the last tick (no-op when speed is 0)."""
        if self.speed <= 0:
            return
        with self.lock:
            seconds_per_block = self.block_seconds / self.speed
            blocks = int((self._clock() - self._wall_anchor) / seconds_per_block)
            if blocks > 0:
                self._wall_anchor += blocks * seconds_per_block
                self.advance_to(self.height + blocks)

    def advance(self, blocks: int = 0, epochs: int = 0) -> None:
        with self.lock:
            self.advance_to(self.height + int(blocks) + int(epochs) * self.geometry.epoch_length)

    def advance_to(self, target: int) -> None:
        with self.lock:
            while self.height < target:
                nxt = min(target, self._next_event_after(self.height))
                self.height = nxt
                self._fire_events(nxt)
            self.height_reached_at = datetime.now(timezone.utc)
            self.version += 1

    def _next_event_after(self, h: int) -> int:
        g = self.geometry
        epoch = g.epoch_of(h)
        candidates = [g.poc_start(epoch + 1)]
        settle = g.inference_start(epoch)
        candidates.append(settle if settle > h else g.inference_start(epoch + 1))
        if self._timed:
            candidates.append(max(self._timed[0][0], h + 1))
        return min(candidates)

    def _fire_events(self, h: int) -> None:
        g = self.geometry
        epoch = g.epoch_of(h)
        if h == g.poc_start(epoch):
            self._rollover(epoch)
        if h == g.inference_start(epoch):
            self._settle(epoch - 1)
        while self._timed and self._timed[0][0] <= h:
            _, _, address, kind, source = heapq.heappop(self._timed)
            if source == "timer":
                self._scripted_incident()
            else:
                self.apply_incident(address, kind, source=source)

    def _schedule(self, height: int, address: str, kind: str, source: str) -> None:
        self._seq += 1
        heapq.heappush(self._timed, (height, self._seq, address, kind, source))

    def block_time(self, height: int) -> datetime:
        return self.height_reached_at - timedelta(seconds=(self.height - height) * self.block_seconds)

    @property
    def epoch(self) -> int:
        return self.geometry.epoch_of(self.height)

    @property
    def phase(self) -> str:
        return self.geometry.phase(self.height)

    # ------------------------------------------------------------------ counters
    def open_epoch(self, height: int | None = None) -> int:
        """The epoch whose counters are live (not yet settled) at `height`."""
        h = self.height if height is None else height
        epoch = self.geometry.epoch_of(h)
        return epoch if h >= self.geometry.inference_start(epoch) else epoch - 1

    def _inference_blocks_elapsed(self) -> int:
        g = self.geometry
        epoch = self.open_epoch()
        return min(self.height, g.poc_start(epoch + 1)) - g.inference_start(epoch)

    def _counters_at(self, p: Participant, blocks: int, epoch: int) -> Counters:
        ck = p.checkpoint
        delta = max(0, blocks - p.checkpoint_blocks)
        rate = p.rate_milli if p.in_active_set else 0
        miss_ppm = 1_000_000 if not p.online else p.miss_ppm  # an offline host misses all it is assigned
        assigned = rate * delta // 1000
        missed = assigned * miss_ppm // 1_000_000
        served = assigned - missed
        invalidated = served * p.invalid_ppm // 1_000_000
        fee = p.price_ngonka if epoch >= GRACE_PERIOD_END_EPOCH else 0
        return Counters(
            inference_count=ck.inference_count + served,
            missed_requests=ck.missed_requests + missed,
            earned_coins=ck.earned_coins + served * fee,
            validated_inferences=ck.validated_inferences + (served - invalidated) * 9 // 10,
            invalidated_inferences=ck.invalidated_inferences + invalidated,
        )

    def counters(self, p: Participant) -> Counters:
        """Epoch-to-date counters of the open epoch (what current_epoch_stats shows)."""
        return self._counters_at(p, self._inference_blocks_elapsed(), self.open_epoch())

    def _checkpoint(self, p: Participant) -> None:
        # freeze counters before a rate/miss change so they never jump backwards
        p.checkpoint = self.counters(p)
        p.checkpoint_blocks = self._inference_blocks_elapsed()

    def last_inference_height(self, p: Participant) -> int:
        if self.counters(p).inference_count == 0:
            return 0
        h = min(self.height, self.geometry.poc_start(self.open_epoch() + 1) - 1)
        if not p.online:
            h = min(h, self.offline_since.get(p.address, h) - 1)
        return h

    # ------------------------------------------------------------------ epochs
    def active_set(self) -> list[Participant]:
        return [p for p in self.roster if p.in_active_set]

    def weight_in_epoch(self, p: Participant, epoch: int) -> int | None:
        """Epoch weight, or None when p was not in that epoch's active set."""
        if epoch == self.epoch:
            return p.weight if p.in_active_set else None
        summary = self.summary(epoch, p.address)
        if summary is not None:
            return summary.weight
        members = self.epoch_members.get(epoch)
        if members is not None:
            entry = members.get(p.address)
            return entry[0] if entry else None
        return None

    def _rollover(self, epoch: int) -> None:
        # the finished epoch's active set is fixed now; it settles at poc_validation_end of `epoch`
        self.epoch_members[epoch - 1] = {p.address: (p.weight, p.chain_status) for p in self.active_set()}
        log.info("sim: epoch %s started at height %s", epoch, self.height)

    def _settle(self, epoch: int) -> None:
        members_by_address = self.epoch_members.pop(epoch, None)
        if members_by_address is None:
            members_by_address = {p.address: (p.weight, p.chain_status) for p in self.active_set()}
        full = self.geometry.inference_blocks()
        members = [
            Member(address, weight, self._counters_at(self.by_address[address], full, epoch), status)
            for address, (weight, status) in members_by_address.items()
        ]
        self.settled[epoch] = settle_epoch(epoch, members)
        self.unclaimed[epoch] = {p.address for p in self.roster if p.never_claims}
        for p in self.roster:
            p.checkpoint = Counters()
            p.checkpoint_blocks = 0
        log.info("sim: epoch %s settled at height %s (%s summaries)", epoch, self.height, len(members))

    def settle_height(self, epoch: int) -> int:
        return self.geometry.inference_start(epoch + 1)

    def last_settled_epoch(self) -> int:
        return self.open_epoch() - 1

    def summary(self, epoch: int, address: str) -> Summary | None:
        """Settled epoch performance summary; None for unsettled epochs and non-members (the chain's 404)."""
        if epoch in self.settled:
            return self.settled[epoch].get(address)
        if epoch > self.last_settled_epoch():
            return None
        return self.history.summary(epoch, address)

    def claimed(self, summary: Summary) -> bool:
        if summary.rewarded_coins == 0 and summary.earned_coins == 0:
            return False  # nothing to claim (recorded epochs 51/52 show claimed false with zeros)
        if summary.address in self.unclaimed.get(summary.epoch, ()):
            return False
        window = max(1, (self.geometry.epoch_length - self.geometry.offsets["poc_validation_end"]) // 3)
        delay = 1 + int(unit_hash(self.seed, summary.epoch, summary.address, "claim") * window)
        return self.height >= self.settle_height(summary.epoch) + delay

    # ------------------------------------------------------------------ incidents
    def participant(self, address: str) -> Participant:
        try:
            return self.by_address[address]
        except KeyError:
            raise UnknownParticipant(address) from None

    def apply_incident(self, address: str, kind: str, *, source: str = "control", blocks: int | None = None,
                       mode: str | None = None) -> Participant:
        if kind not in INCIDENT_KINDS:
            raise ValueError(f"unknown incident kind {kind!r}; one of {', '.join(INCIDENT_KINDS)}")
        with self.lock:
            p = self.participant(address)
            self._checkpoint(p)
            if kind == "jail":
                p.jailed = True
                p.jailed_until_height = self.height + (blocks or min(150, self.geometry.epoch_length // 2))
            elif kind == "unjail":
                p.jailed = False
                p.jailed_until_height = None
            elif kind == "offline":
                p.online = False
                p.offline_mode = mode or "503"
                self.offline_since[address] = self.height
            elif kind == "online":
                p.online = True
                self.offline_since.pop(address, None)
            elif kind == "miss_requests":
                p.miss_ppm = HIGH_MISS_PPM
            elif kind == "ml_node_failed":
                p.failed_ml_nodes.add(p.all_ml_nodes()[0].node_id)
            elif kind == "inactive":
                p.in_active_set = False
                p.chain_status = "INACTIVE"
            elif kind == "active":
                p.in_active_set = True
                p.chain_status = "ACTIVE"
            elif kind == "unclaimed":
                p.never_claims = True
                self.unclaimed.setdefault(self.last_settled_epoch(), set()).add(address)
            elif kind == "claim":
                p.never_claims = False
                for addresses in self.unclaimed.values():
                    addresses.discard(address)
            elif kind == "ramping":
                p.chain_status = "RAMPING"
            elif kind == "invalid":
                p.chain_status = "INVALID"
            elif kind == "reset":
                restore_baseline(p)
                if p.online:
                    self.offline_since.pop(address, None)
            self.incident_log.append({"height": self.height, "address": address, "kind": kind, "source": source})
            del self.incident_log[:-200]
            self.version += 1
            log.info("sim: incident %s on %s (%s)", kind, address, source)
            return p

    def _scripted_incident(self) -> None:
        kind, revert, after_epochs = SCRIPTED_CYCLE[self._scripted_turn % len(SCRIPTED_CYCLE)]
        cast = self._scripted_cast
        address = cast[int(unit_hash(self.seed, self._scripted_turn, "cast") * len(cast))]
        self._scripted_turn += 1
        self.apply_incident(address, kind, source="scripted")
        self._schedule(self.height + max(1, int(after_epochs * self.geometry.epoch_length)), address, revert,
                       "scripted")
        self._schedule(self.height + self._incident_every, "", "scripted", "timer")

    # ------------------------------------------------------------------ views for the control API
    def participant_state(self, p: Participant) -> dict:
        c = self.counters(p)
        return {
            "address": p.address, "scenario": p.scenario, "real": p.real, "weight": p.weight,
            "chain_status": p.chain_status, "in_active_set": p.in_active_set, "online": p.online,
            "offline_mode": p.offline_mode, "jailed": p.jailed, "jailed_until_height": p.jailed_until_height,
            "failed_ml_nodes": sorted(p.failed_ml_nodes), "never_claims": p.never_claims,
            "has_validator": p.has_validator, "first_epoch": p.first_epoch, "miss_ppm": p.miss_ppm,
            "counters": vars(c),
        }

    def state(self) -> dict:
        g = self.geometry
        return {
            "height": self.height, "epoch": self.epoch, "phase": self.phase,
            "open_epoch": self.open_epoch(), "last_settled_epoch": self.last_settled_epoch(),
            "epoch_length": g.epoch_length, "stage_offsets": g.offsets, "block_seconds": self.block_seconds,
            "speed": self.speed, "seed": self.seed, "participants": len(self.roster),
            "active_participants": len(self.active_set()), "history_first_epoch": self.history.first_epoch,
            "node_prefixes": [f"n{i}" for i in range(1, self.node_count + 1)], "scripted": self.scripted,
            "public_base": self.public_base, "scenarios": dict(self.scenarios),
            "recent_incidents": self.incident_log[-20:], "version": self.version,
        }

    def scenario_addresses(self) -> dict[str, str]:
        return {key: self.scenarios[key] for key in SCENARIO_KEYS}
