"""Epoch geometry: where each epoch starts and where its stages fall, as block heights.

Stage offsets come from the recorded /v1/epochs/latest (epoch 105, epoch_length 15,391). A demo epoch of
~120 blocks cannot hold the real 306-block PoC part, so short epochs scale the offsets to ~30 % of the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

REAL_EPOCH_LENGTH = 15_391
STAGE_NAMES = (
    "poc_generation_wind_down",
    "poc_generation_end",
    "poc_validation_start",
    "poc_validation_wind_down",
    "poc_validation_end",
    "set_new_validators",
    "claim_money",
)
MIN_EPOCH_LENGTH = 40


def offsets_from_recorded(epochs_latest: dict) -> tuple[dict[str, int], int]:
    """(stage -> offset from poc_start, inference_validation_cutoff distance before next_poc_start)."""
    stages = epochs_latest["epoch_stages"]
    start = stages["poc_start"]
    offsets = {name: stages[name] - start for name in STAGE_NAMES}
    cutoff = stages["next_poc_start"] - stages["inference_validation_cutoff"]
    return offsets, cutoff


@dataclass(frozen=True)
class EpochGeometry:
    epoch_length: int
    anchor_epoch: int  # an epoch whose poc_start is known
    anchor_poc_start: int
    offsets: dict[str, int]
    cutoff: int  # blocks before next poc_start where inference validation stops

    @classmethod
    def build(cls, epoch_length: int, anchor_epoch: int, anchor_poc_start: int, epochs_latest: dict) -> "EpochGeometry":
        if epoch_length < MIN_EPOCH_LENGTH:
            raise ValueError(f"epoch_length must be >= {MIN_EPOCH_LENGTH}")
        offsets, cutoff = offsets_from_recorded(epochs_latest)
        if epoch_length < 2000:
            factor = epoch_length * 0.3 / offsets["claim_money"]
            scaled: dict[str, int] = {}
            previous = 0
            for name in STAGE_NAMES:
                value = max(round(offsets[name] * factor), previous + 1)  # stages stay strictly ordered
                scaled[name] = value
                previous = value
            offsets = scaled
            cutoff = max(1, round(cutoff * factor))
        return cls(epoch_length, anchor_epoch, anchor_poc_start, offsets, cutoff)

    def poc_start(self, epoch: int) -> int:
        return self.anchor_poc_start + (epoch - self.anchor_epoch) * self.epoch_length

    def epoch_of(self, height: int) -> int:
        return self.anchor_epoch + (height - self.anchor_poc_start) // self.epoch_length

    def stage(self, epoch: int, name: str) -> int:
        return self.poc_start(epoch) + self.offsets[name]

    def inference_start(self, epoch: int) -> int:
        """Counters of `epoch` grow from here (end of PoC validation, also when epoch−1 settles)."""
        return self.stage(epoch, "poc_validation_end")

    def inference_blocks(self) -> int:
        return self.epoch_length - self.offsets["poc_validation_end"]

    def effective_height(self, epoch: int) -> int:
        # recorded: effective_block_height = poc_start + 187 = poc_validation_end + 2
        return self.inference_start(epoch) + 2

    def stages(self, epoch: int) -> dict:
        start = self.poc_start(epoch)
        nxt = start + self.epoch_length
        out: dict = {"epoch_index": epoch, "poc_start": start}
        for name in STAGE_NAMES[:5]:
            out[name] = start + self.offsets[name]
        out["set_new_validators"] = start + self.offsets["set_new_validators"]
        out["claim_money"] = start + self.offsets["claim_money"]
        out["inference_validation_cutoff"] = nxt - self.cutoff
        out["next_poc_start"] = nxt
        out["poc_exchange_window"] = {"start": start + 1, "end": out["poc_validation_start"]}
        out["poc_validation_exchange_window"] = {
            "start": out["poc_validation_start"] + 1,
            "end": out["poc_validation_end"],
        }
        return out

    def phase(self, height: int) -> str:
        # Between poc_generation_end and poc_validation_start (the exchange gap) we report
        # PoCGenerateWindDown: an assumption, the recorded data does not show that window.
        rel = height - self.poc_start(self.epoch_of(height))
        o = self.offsets
        if rel < o["poc_generation_wind_down"]:
            return "PoCGenerate"
        if rel < o["poc_validation_start"]:
            return "PoCGenerateWindDown"
        if rel < o["poc_validation_wind_down"]:
            return "PoCValidate"
        if rel < o["poc_validation_end"]:
            return "PoCValidateWindDown"
        return "Inference"

    def epoch_params(self, recorded: dict) -> dict:
        params = dict(recorded)
        params["epoch_length"] = self.epoch_length
        o = self.offsets
        params["poc_stage_duration"] = o["poc_generation_end"]
        params["poc_exchange_duration"] = o["poc_validation_start"] - o["poc_generation_end"]
        params["poc_validation_delay"] = o["poc_validation_start"] - o["poc_generation_end"]
        params["poc_validation_duration"] = o["poc_validation_end"] - o["poc_validation_start"]
        params["set_new_validators_delay"] = o["set_new_validators"] - o["poc_validation_end"]
        params["inference_validation_cutoff"] = self.cutoff
        return params
