"""Parsed, validated upstream payloads (tracker + Gonka node API), as frozen dataclasses.

Contract: docs/upstream-apis.md §1.3 (tracker) and §2.2 (node API).

Parsing is tolerant where the upstreams are loose: unknown keys are ignored, integers may arrive as JSON strings
(chain-api int64), the dapi omits zero values (`omitempty`), tracker timestamps are naive UTC. It is strict about
what the portal relies on: a wrong type for a core field or a missing core key raises `SchemaError` for the whole
payload, so callers never see a half-applied snapshot.

Coin amounts are `int` ngonka. Rates and ratios are `Decimal` (the HTTP layer decodes JSON floats as Decimal).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar


class SchemaError(ValueError):
    """The payload does not have the shape we rely on. Raised for the whole payload."""


# ------------------------------------------------------------------------------------------------- enums


class ParticipantStatus(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    INVALID = "INVALID"
    RAMPING = "RAMPING"
    UNRECOGNIZED = "UNRECOGNIZED"  # a value newer than this code: never treated as good or bad


class HardwareNodeStatus(StrEnum):
    UNKNOWN = "UNKNOWN"
    INFERENCE = "INFERENCE"
    POC = "POC"
    TRAINING = "TRAINING"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    UNRECOGNIZED = "UNRECOGNIZED"


class EpochPhase(StrEnum):
    POC_GENERATE = "PoCGenerate"
    POC_GENERATE_WIND_DOWN = "PoCGenerateWindDown"
    POC_VALIDATE = "PoCValidate"
    POC_VALIDATE_WIND_DOWN = "PoCValidateWindDown"
    INFERENCE = "Inference"
    UNRECOGNIZED = "UNRECOGNIZED"


E = TypeVar("E", bound=StrEnum)


def parse_enum(enum_cls: type[E], raw: Any) -> E | None:
    """None stays None (unknown); an unexpected value maps to the enum's UNRECOGNIZED member."""
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        raise SchemaError(f"{enum_cls.__name__}: expected a string, got {type(raw).__name__}")
    if (member := enum_cls._value2member_map_.get(raw)) is not None:  # the usual case, without enum_cls(raw)
        return member  # type: ignore[return-value]
    try:
        return enum_cls(raw)
    except ValueError:
        # Chain enums sometimes arrive prefixed (e.g. "PARTICIPANT_STATUS_ACTIVE"); accept the suffix.
        for member in enum_cls:
            if raw.upper().endswith("_" + member.value.upper()):
                return member
        return enum_cls["UNRECOGNIZED"]


# ------------------------------------------------------------------------------------------------- primitives

_MISSING = object()
_INT_RE = re.compile(r"^-?\d+$")
_TS_RE = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>Z|z|[+-]\d{2}:?\d{2})?$"
)


def _where(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SchemaError(f"{path or 'payload'}: expected an object, got {type(value).__name__}")
    return value


def _to_int(value: Any, path: str) -> int:
    if isinstance(value, bool):  # bool is an int subclass in Python; never a count
        raise SchemaError(f"{path}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        return int(value.strip())
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)  # e.g. 3965.0 from a float-happy serializer
    raise SchemaError(f"{path}: expected an integer, got {value!r:.40}")


def _plain_int(value: Any) -> int | None:
    """The common cases without building an error path: an int, or a string of ASCII digits."""
    kind = type(value)
    if kind is int:
        return value
    if kind is str and value.isascii() and value.isdigit():
        return int(value)
    return None


def req_int(d: Mapping[str, Any], key: str, path: str = "") -> int:
    value = d.get(key, _MISSING)
    if (plain := _plain_int(value)) is not None:
        return plain
    if value is _MISSING or value is None:
        raise SchemaError(f"{_where(path, key)}: missing")
    return _to_int(value, _where(path, key))


def opt_int(d: Mapping[str, Any], key: str, path: str = "", default: int | None = 0) -> int | None:
    """Omitted (dapi omitempty) or null -> default; present -> must be an integer."""
    value = d.get(key)
    if (plain := _plain_int(value)) is not None:
        return plain
    if value is None or value == "":
        return default
    return _to_int(value, _where(path, key))


def int_or_zero(d: Mapping[str, Any], key: str, path: str = "") -> int:
    value = d.get(key)
    if (plain := _plain_int(value)) is not None:
        return plain
    if value is None or value == "":
        return 0
    return _to_int(value, _where(path, key))


def req_str(d: Mapping[str, Any], key: str, path: str = "") -> str:
    value = d.get(key)
    if not isinstance(value, str) or not value:
        raise SchemaError(f"{_where(path, key)}: expected a non-empty string")
    return value


def opt_str(d: Mapping[str, Any], key: str, path: str = "", default: str | None = None) -> str | None:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise SchemaError(f"{_where(path, key)}: expected a string, got {type(value).__name__}")
    return value


def str_or_empty(d: Mapping[str, Any], key: str, path: str = "") -> str:
    return opt_str(d, key, path, default="") or ""


def opt_bool(d: Mapping[str, Any], key: str, path: str = "", default: bool | None = None) -> bool | None:
    value = d.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise SchemaError(f"{_where(path, key)}: expected a boolean, got {type(value).__name__}")
    return value


def opt_decimal(d: Mapping[str, Any], key: str, path: str = "") -> Decimal | None:
    value = d.get(key)
    if value is None:
        return None
    if type(value) is Decimal:  # what the HTTP layer decodes JSON non-integers to; immutable, so no copy needed
        return value
    if isinstance(value, bool):
        raise SchemaError(f"{_where(path, key)}: expected a number, got a boolean")
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))  # str() keeps the short repr (6.02), not the binary expansion
    if isinstance(value, str):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    raise SchemaError(f"{_where(path, key)}: expected a number, got {value!r:.40}")


def req_list(d: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    value = d.get(key, _MISSING)
    if not isinstance(value, list):
        raise SchemaError(f"{_where(path, key)}: expected a list")
    return value


def opt_list(d: Mapping[str, Any], key: str, path: str = "") -> list[Any]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SchemaError(f"{_where(path, key)}: expected a list, got {type(value).__name__}")
    return value


def str_tuple(d: Mapping[str, Any], key: str, path: str = "") -> tuple[str, ...]:
    items = opt_list(d, key, path)
    if not all(isinstance(item, str) for item in items):
        raise SchemaError(f"{_where(path, key)}: expected a list of strings")
    return tuple(items)


def parse_timestamp(value: Any, path: str = "timestamp") -> datetime | None:
    """ISO/RFC 3339 -> aware UTC datetime. Naive values are UTC (tracker `utcnow().isoformat()`); fractions
    beyond microseconds (chain nanoseconds) are truncated; the Go zero time and Unix epoch 0 mean "never"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise SchemaError(f"{path}: expected a timestamp string, got {type(value).__name__}")
    parsed = _timestamp_text(value)
    if parsed is _NOT_A_TIMESTAMP:
        raise SchemaError(f"{path}: not a timestamp: {value!r:.40}")
    return parsed


@lru_cache(maxsize=4096)
def _timestamp_text(value: str) -> datetime | None | object:
    """Cached: a tracker payload repeats the same few timestamps (health checks, jail ends) thousands of times."""
    match = _TS_RE.match(value.strip())
    if not match:
        return _NOT_A_TIMESTAMP
    text = match["base"].replace(" ", "T")
    if match["frac"]:
        text += "." + match["frac"][:6].ljust(6, "0")
    tz = match["tz"]
    if tz and tz not in ("Z", "z"):
        text += tz if ":" in tz else f"{tz[:3]}:{tz[3:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return _NOT_A_TIMESTAMP
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    if parsed.year <= 1970 and parsed.timestamp() <= 0:
        return None  # "1970-01-01…" / "0001-01-01…" are placeholders for "not set"
    return parsed


_NOT_A_TIMESTAMP = object()


def opt_timestamp(d: Mapping[str, Any], key: str, path: str = "") -> datetime | None:
    value = d.get(key)
    if value is None or value == "":
        return None
    return parse_timestamp(value, _where(path, key))


def parse_unix_ms(value: Any, path: str = "timestamp_ms") -> datetime | None:
    """Chain millisecond timestamps (as strings); "0" means never."""
    if value is None or value == "":
        return None
    ms = _to_int(value, path)
    if ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


T = TypeVar("T")


def _items(raw: list[Any], path: str, parse: Callable[[Mapping[str, Any], str], T]) -> tuple[T, ...]:
    result = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        result.append(parse(_obj(item, where), where))
    return tuple(result)


def _guard(parse: Callable[[Any], T]) -> Callable[[Any], T]:
    """Turn stray TypeError/AttributeError from an unexpected shape into SchemaError."""

    def wrapper(payload: Any) -> T:
        try:
            return parse(payload)
        except SchemaError:
            raise
        except (TypeError, AttributeError, KeyError, IndexError) as exc:
            raise SchemaError(f"unexpected payload shape: {exc}") from exc

    wrapper.__name__ = parse.__name__
    wrapper.__doc__ = parse.__doc__
    return wrapper


# ------------------------------------------------------------------------------------------------- shared pieces


@dataclass(frozen=True, slots=True)
class EpochCounters:
    """Epoch-to-date counters (`current_epoch_stats`); coin fields in ngonka."""

    inference_count: int = 0
    missed_requests: int = 0
    earned_coins: int = 0
    rewarded_coins: int = 0
    burned_coins: int = 0
    validated_inferences: int = 0
    invalidated_inferences: int = 0


def parse_epoch_counters(d: Mapping[str, Any], path: str) -> EpochCounters:
    return EpochCounters(
        inference_count=int_or_zero(d, "inference_count", path),
        missed_requests=int_or_zero(d, "missed_requests", path),
        earned_coins=int_or_zero(d, "earned_coins", path),
        rewarded_coins=int_or_zero(d, "rewarded_coins", path),
        burned_coins=int_or_zero(d, "burned_coins", path),
        validated_inferences=int_or_zero(d, "validated_inferences", path),
        invalidated_inferences=int_or_zero(d, "invalidated_inferences", path),
    )


@dataclass(frozen=True, slots=True)
class Seed:
    participant: str
    epoch_index: int
    signature: str


def parse_seed(d: Mapping[str, Any], path: str) -> Seed:
    return Seed(
        participant=str_or_empty(d, "participant", path),
        epoch_index=int_or_zero(d, "epoch_index", path),
        signature=str_or_empty(d, "signature", path),
    )


def _opt_seed(d: Mapping[str, Any], key: str, path: str) -> Seed | None:
    raw = d.get(key)
    return None if raw is None else parse_seed(_obj(raw, _where(path, key)), _where(path, key))


@dataclass(frozen=True, slots=True)
class Hardware:
    type: str
    count: int


def parse_hardware(d: Mapping[str, Any], path: str) -> Hardware:
    return Hardware(type=str_or_empty(d, "type", path), count=int_or_zero(d, "count", path))


@dataclass(frozen=True, slots=True)
class BlockWindow:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class EpochStages:
    """Block heights of one epoch's stages (`epoch_stages` / `next_epoch_stages`)."""

    epoch_index: int
    poc_start: int
    poc_generation_wind_down: int
    poc_generation_end: int
    poc_validation_start: int
    poc_validation_wind_down: int
    poc_validation_end: int
    set_new_validators: int
    claim_money: int
    inference_validation_cutoff: int
    next_poc_start: int
    poc_exchange_window: BlockWindow | None
    poc_validation_exchange_window: BlockWindow | None


def _opt_window(d: Mapping[str, Any], key: str, path: str) -> BlockWindow | None:
    raw = d.get(key)
    if raw is None:
        return None
    w = _obj(raw, _where(path, key))
    return BlockWindow(int_or_zero(w, "start", _where(path, key)), int_or_zero(w, "end", _where(path, key)))


def parse_epoch_stages(d: Mapping[str, Any], path: str) -> EpochStages:
    return EpochStages(
        epoch_index=int_or_zero(d, "epoch_index", path),
        poc_start=int_or_zero(d, "poc_start", path),
        poc_generation_wind_down=int_or_zero(d, "poc_generation_wind_down", path),
        poc_generation_end=int_or_zero(d, "poc_generation_end", path),
        poc_validation_start=int_or_zero(d, "poc_validation_start", path),
        poc_validation_wind_down=int_or_zero(d, "poc_validation_wind_down", path),
        poc_validation_end=int_or_zero(d, "poc_validation_end", path),
        set_new_validators=int_or_zero(d, "set_new_validators", path),
        claim_money=int_or_zero(d, "claim_money", path),
        inference_validation_cutoff=int_or_zero(d, "inference_validation_cutoff", path),
        next_poc_start=int_or_zero(d, "next_poc_start", path),
        poc_exchange_window=_opt_window(d, "poc_exchange_window", path),
        poc_validation_exchange_window=_opt_window(d, "poc_validation_exchange_window", path),
    )


def _opt_stages(d: Mapping[str, Any], key: str, path: str) -> EpochStages | None:
    raw = d.get(key)
    return None if raw is None else parse_epoch_stages(_obj(raw, _where(path, key)), _where(path, key))


# ================================================================================================= tracker


@dataclass(frozen=True, slots=True)
class TrackerParticipant:
    """Tracker `ParticipantStats`. None on a nullable field means "not known", never "bad"."""

    index: str
    address: str
    weight: int
    validator_key: str | None
    inference_url: str
    status: ParticipantStatus | None
    models: tuple[str, ...]
    stats: EpochCounters
    is_jailed: bool | None
    jailed_until: datetime | None
    ready_to_unjail: bool | None
    node_healthy: bool | None
    node_health_checked_at: datetime | None
    moniker: str | None
    identity: str | None
    website: str | None
    keybase_username: str | None
    keybase_picture_url: str | None
    validator_consensus_key: str | None
    consensus_key_mismatch: bool | None
    seed_signature: str | None
    ml_nodes_map: dict[str, int] | None
    weight_to_confirm: int | None
    confirmation_weight: int | None
    confirmation_poc_ratio: Decimal | None
    participant_status: ParticipantStatus | None
    missed_rate: Decimal
    invalidation_rate: Decimal


def _ml_nodes_map(d: Mapping[str, Any], path: str) -> dict[str, int] | None:
    raw = d.get("ml_nodes_map")
    if raw is None:
        return None
    mapping = _obj(raw, _where(path, "ml_nodes_map"))
    # The path is only formatted for a value that is not a plain int (17 entries × 5,000 participants per payload).
    return {str(k): v if type(v) is int else _to_int(v, f"{path}.ml_nodes_map.{k}") for k, v in mapping.items()}


def parse_tracker_participant(d: Mapping[str, Any], path: str = "participant") -> TrackerParticipant:
    index = req_str(d, "index", path)
    stats_raw = d.get("current_epoch_stats")
    if stats_raw is None:
        raise SchemaError(f"{path}.current_epoch_stats: missing")
    stats_path = f"{path}.current_epoch_stats"
    return TrackerParticipant(
        index=index,
        address=opt_str(d, "address", path) or index,
        weight=int_or_zero(d, "weight", path),
        validator_key=opt_str(d, "validator_key", path),
        inference_url=str_or_empty(d, "inference_url", path),
        status=parse_enum(ParticipantStatus, d.get("status")),
        models=str_tuple(d, "models", path),
        stats=parse_epoch_counters(_obj(stats_raw, stats_path), stats_path),
        is_jailed=opt_bool(d, "is_jailed", path),
        jailed_until=opt_timestamp(d, "jailed_until", path),
        ready_to_unjail=opt_bool(d, "ready_to_unjail", path),
        node_healthy=opt_bool(d, "node_healthy", path),
        node_health_checked_at=opt_timestamp(d, "node_health_checked_at", path),
        moniker=opt_str(d, "moniker", path),
        identity=opt_str(d, "identity", path),
        website=opt_str(d, "website", path),
        keybase_username=opt_str(d, "keybase_username", path),
        keybase_picture_url=opt_str(d, "keybase_picture_url", path),
        validator_consensus_key=opt_str(d, "validator_consensus_key", path),
        consensus_key_mismatch=opt_bool(d, "consensus_key_mismatch", path),
        seed_signature=opt_str(d, "seed_signature", path),
        ml_nodes_map=_ml_nodes_map(d, path),
        weight_to_confirm=opt_int(d, "weight_to_confirm", path, default=None),
        confirmation_weight=opt_int(d, "confirmation_weight", path, default=None),
        confirmation_poc_ratio=opt_decimal(d, "confirmation_poc_ratio", path),
        participant_status=parse_enum(ParticipantStatus, d.get("participant_status")),
        missed_rate=opt_decimal(d, "missed_rate", path) or Decimal(0),
        invalidation_rate=opt_decimal(d, "invalidation_rate", path) or Decimal(0),
    )


@dataclass(frozen=True, slots=True)
class InferenceResponse:
    """Tracker `/api/v1/inference/current` (and `/inference/epochs/{id}`)."""

    epoch_id: int
    height: int
    participants: tuple[TrackerParticipant, ...]
    cached_at: datetime | None
    is_current: bool
    total_assigned_rewards_gnk: int | None  # whole GNK, floored by the tracker; 0 means "not computed yet"
    current_block_height: int | None
    current_block_timestamp: datetime | None
    avg_block_time: Decimal | None  # seconds
    next_poc_start_block: int | None
    set_new_validators_block: int | None

    # Indexed once: the refresh job looks up every assigned node in a set of thousands.
    _by_index: dict[str, TrackerParticipant] = field(init=False, repr=False, compare=False)
    total_weight: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_index", {p.index: p for p in self.participants})
        object.__setattr__(self, "total_weight", sum(p.weight for p in self.participants))

    def participant(self, address: str) -> TrackerParticipant | None:
        return self._by_index.get(address)


@_guard
def parse_inference_response(payload: Any) -> InferenceResponse:
    d = _obj(payload, "")
    total_rewards = opt_int(d, "total_assigned_rewards_gnk", default=None)
    return InferenceResponse(
        epoch_id=req_int(d, "epoch_id"),
        height=req_int(d, "height"),
        participants=_items(req_list(d, "participants"), "participants", parse_tracker_participant),
        cached_at=opt_timestamp(d, "cached_at"),
        is_current=bool(opt_bool(d, "is_current", default=False)),
        total_assigned_rewards_gnk=total_rewards or None,  # the tracker's cached 0 is "unknown" (doc §1.3)
        current_block_height=opt_int(d, "current_block_height", default=None),
        current_block_timestamp=opt_timestamp(d, "current_block_timestamp"),
        avg_block_time=opt_decimal(d, "avg_block_time"),
        next_poc_start_block=opt_int(d, "next_poc_start_block", default=None),
        set_new_validators_block=opt_int(d, "set_new_validators_block", default=None),
    )


@dataclass(frozen=True, slots=True)
class RewardEntry:
    epoch_id: int
    assigned_reward_gnk: int  # whole GNK, floored by the tracker: display only, never sum it as money
    claimed: bool


@dataclass(frozen=True, slots=True)
class WarmKey:
    grantee_address: str
    expires_at: datetime | None  # the tracker calls it `granted_at` but it is the grant's expiration


@dataclass(frozen=True, slots=True)
class HardwareNode:
    """An ML node as registered on chain (`hardware_nodes`), plus its epoch PoC weight when the tracker merged it."""

    local_id: str
    status: HardwareNodeStatus | None
    models: tuple[str, ...]
    hardware: tuple[Hardware, ...]
    host: str
    port: str
    poc_weight: int | None = None


def parse_hardware_node(d: Mapping[str, Any], path: str) -> HardwareNode:
    return HardwareNode(
        local_id=req_str(d, "local_id", path),
        status=parse_enum(HardwareNodeStatus, d.get("status")),
        models=str_tuple(d, "models", path),
        hardware=_items(opt_list(d, "hardware", path), f"{path}.hardware", parse_hardware),
        host=str_or_empty(d, "host", path),
        port=str(d.get("port") or ""),  # port is a string on chain but tolerate a number
        poc_weight=opt_int(d, "poc_weight", path, default=None),
    )


@dataclass(frozen=True, slots=True)
class ParticipantDetailsResponse:
    """Tracker `/api/v1/participants/{address}?epoch_id=`."""

    participant: TrackerParticipant
    rewards: tuple[RewardEntry, ...]
    seed: Seed | None
    warm_keys: tuple[WarmKey, ...]
    ml_nodes: tuple[HardwareNode, ...]


def _reward(d: Mapping[str, Any], path: str) -> RewardEntry:
    return RewardEntry(
        epoch_id=req_int(d, "epoch_id", path),
        assigned_reward_gnk=int_or_zero(d, "assigned_reward_gnk", path),
        claimed=bool(opt_bool(d, "claimed", path, default=False)),
    )


def _warm_key(d: Mapping[str, Any], path: str) -> WarmKey:
    return WarmKey(grantee_address=req_str(d, "grantee_address", path), expires_at=opt_timestamp(d, "granted_at", path))


@_guard
def parse_participant_details(payload: Any) -> ParticipantDetailsResponse:
    d = _obj(payload, "")
    return ParticipantDetailsResponse(
        participant=parse_tracker_participant(_obj(d.get("participant"), "participant"), "participant"),
        rewards=_items(opt_list(d, "rewards"), "rewards", _reward),
        seed=_opt_seed(d, "seed", ""),
        warm_keys=_items(opt_list(d, "warm_keys"), "warm_keys", _warm_key),
        ml_nodes=_items(opt_list(d, "ml_nodes"), "ml_nodes", parse_hardware_node),
    )


@dataclass(frozen=True, slots=True)
class InferenceDetail:
    """One inference from the tracker's top-10 lists. Prompt and response payloads (user data, sometimes large) are
    kept only as excerpts of PAYLOAD_EXCERPT_CHARS: the node page shows them to the node's owner, folded, as text."""

    inference_id: str
    status: str
    start_block_height: int
    start_block_timestamp: datetime | None
    validated_by: tuple[str, ...]
    prompt_hash: str | None
    response_hash: str | None
    prompt_token_count: int | None
    completion_token_count: int | None
    model: str | None
    prompt_excerpt: str | None = None
    response_excerpt: str | None = None


PAYLOAD_EXCERPT_CHARS = 2_000


def payload_excerpt(value: Any) -> str | None:
    """A payload as at most PAYLOAD_EXCERPT_CHARS characters (then "…"). Not a string: None, because a payload is
    only ever shown, never relied on, so a strange one must not reject the whole list."""
    if not isinstance(value, str) or not value:
        return None
    return value if len(value) <= PAYLOAD_EXCERPT_CHARS else value[:PAYLOAD_EXCERPT_CHARS] + "…"


def _inference_detail(d: Mapping[str, Any], path: str) -> InferenceDetail:
    return InferenceDetail(
        inference_id=req_str(d, "inference_id", path),
        status=str_or_empty(d, "status", path),
        start_block_height=int_or_zero(d, "start_block_height", path),
        start_block_timestamp=parse_unix_ms(d.get("start_block_timestamp"), f"{path}.start_block_timestamp"),
        validated_by=str_tuple(d, "validated_by", path),
        prompt_hash=opt_str(d, "prompt_hash", path),
        response_hash=opt_str(d, "response_hash", path),
        prompt_token_count=opt_int(d, "prompt_token_count", path, default=None),
        completion_token_count=opt_int(d, "completion_token_count", path, default=None),
        model=opt_str(d, "model", path),
        prompt_excerpt=payload_excerpt(d.get("prompt_payload")),
        response_excerpt=payload_excerpt(d.get("response_payload")),
    )


@dataclass(frozen=True, slots=True)
class ParticipantInferencesResponse:
    """Tracker `/api/v1/participants/{address}/inferences?epoch_id=`. `cached_at` None = no cache built yet."""

    epoch_id: int
    participant_id: str
    cached_at: datetime | None
    successful: tuple[InferenceDetail, ...]
    expired: tuple[InferenceDetail, ...]
    invalidated: tuple[InferenceDetail, ...]


@_guard
def parse_participant_inferences(payload: Any) -> ParticipantInferencesResponse:
    d = _obj(payload, "")
    return ParticipantInferencesResponse(
        epoch_id=req_int(d, "epoch_id"),
        participant_id=req_str(d, "participant_id"),
        cached_at=opt_timestamp(d, "cached_at"),
        successful=_items(opt_list(d, "successful"), "successful", _inference_detail),
        expired=_items(opt_list(d, "expired"), "expired", _inference_detail),
        invalidated=_items(opt_list(d, "invalidated"), "invalidated", _inference_detail),
    )


@dataclass(frozen=True, slots=True)
class BlockRef:
    height: int
    timestamp: datetime | None


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    block_height: int
    description: str
    occurred: bool


@dataclass(frozen=True, slots=True)
class TimelineResponse:
    """Tracker `/api/v1/timeline`."""

    current_block: BlockRef
    reference_block: BlockRef | None
    avg_block_time: Decimal | None
    events: tuple[TimelineEvent, ...]
    current_epoch_start: int
    current_epoch_index: int
    epoch_length: int
    epoch_stages: EpochStages | None
    next_epoch_stages: EpochStages | None


def _block_ref(d: Mapping[str, Any], path: str) -> BlockRef:
    return BlockRef(height=req_int(d, "height", path), timestamp=opt_timestamp(d, "timestamp", path))


def _timeline_event(d: Mapping[str, Any], path: str) -> TimelineEvent:
    return TimelineEvent(
        block_height=int_or_zero(d, "block_height", path),
        description=str_or_empty(d, "description", path),
        occurred=bool(opt_bool(d, "occurred", path, default=False)),
    )


@_guard
def parse_timeline(payload: Any) -> TimelineResponse:
    d = _obj(payload, "")
    reference = d.get("reference_block")
    return TimelineResponse(
        current_block=_block_ref(_obj(d.get("current_block"), "current_block"), "current_block"),
        reference_block=None if reference is None else _block_ref(_obj(reference, "reference_block"), "reference_block"),
        avg_block_time=opt_decimal(d, "avg_block_time"),
        events=_items(opt_list(d, "events"), "events", _timeline_event),
        current_epoch_start=int_or_zero(d, "current_epoch_start"),
        current_epoch_index=req_int(d, "current_epoch_index"),
        epoch_length=req_int(d, "epoch_length"),
        epoch_stages=_opt_stages(d, "epoch_stages", ""),
        next_epoch_stages=_opt_stages(d, "next_epoch_stages", ""),
    )


@dataclass(frozen=True, slots=True)
class ValidationThreshold:
    value: int
    exponent: int


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    total_weight: int
    participant_count: int
    proposed_by: str
    v_ram: int
    throughput_per_nonce: int
    units_of_compute_per_token: int
    hf_repo: str
    hf_commit: str
    model_args: tuple[str, ...]
    validation_threshold: ValidationThreshold | None


@dataclass(frozen=True, slots=True)
class ModelStat:
    """Network-wide usage over the last 24 h (not epoch-scoped, not per participant)."""

    model: str
    ai_tokens: int
    inferences: int


@dataclass(frozen=True, slots=True)
class ModelsResponse:
    """Tracker `/api/v1/models/current`."""

    epoch_id: int
    height: int
    cached_at: datetime | None
    is_current: bool
    current_block_timestamp: datetime | None
    avg_block_time: Decimal | None
    models: tuple[ModelInfo, ...]
    stats: tuple[ModelStat, ...]


def _model_info(d: Mapping[str, Any], path: str) -> ModelInfo:
    threshold = d.get("validation_threshold")
    return ModelInfo(
        id=req_str(d, "id", path),
        total_weight=int_or_zero(d, "total_weight", path),
        participant_count=int_or_zero(d, "participant_count", path),
        proposed_by=str_or_empty(d, "proposed_by", path),
        v_ram=int_or_zero(d, "v_ram", path),
        throughput_per_nonce=int_or_zero(d, "throughput_per_nonce", path),
        units_of_compute_per_token=int_or_zero(d, "units_of_compute_per_token", path),
        hf_repo=str_or_empty(d, "hf_repo", path),
        hf_commit=str_or_empty(d, "hf_commit", path),
        model_args=str_tuple(d, "model_args", path),
        validation_threshold=None
        if threshold is None
        else ValidationThreshold(
            value=int_or_zero(_obj(threshold, f"{path}.validation_threshold"), "value"),
            exponent=int_or_zero(threshold, "exponent"),
        ),
    )


def _model_stat(d: Mapping[str, Any], path: str) -> ModelStat:
    return ModelStat(
        model=req_str(d, "model", path),
        ai_tokens=int_or_zero(d, "ai_tokens", path),
        inferences=int_or_zero(d, "inferences", path),
    )


@_guard
def parse_models_response(payload: Any) -> ModelsResponse:
    d = _obj(payload, "")
    return ModelsResponse(
        epoch_id=req_int(d, "epoch_id"),
        height=int_or_zero(d, "height"),
        cached_at=opt_timestamp(d, "cached_at"),
        is_current=bool(opt_bool(d, "is_current", default=False)),
        current_block_timestamp=opt_timestamp(d, "current_block_timestamp"),
        avg_block_time=opt_decimal(d, "avg_block_time"),
        models=_items(req_list(d, "models"), "models", _model_info),
        stats=_items(opt_list(d, "stats"), "stats", _model_stat),
    )


# ================================================================================================= node API


@dataclass(frozen=True, slots=True)
class LatestEpoch:
    index: int
    poc_start_block_height: int


@dataclass(frozen=True, slots=True)
class EpochsLatest:
    """Node API `/v1/epochs/latest`."""

    block_height: int
    phase: EpochPhase | None
    latest_epoch: LatestEpoch
    epoch_stages: EpochStages | None
    next_epoch_stages: EpochStages | None
    epoch_length: int  # blocks; governance-changeable, so always read it
    is_confirmation_poc_active: bool

    @property
    def epoch_index(self) -> int:
        return self.latest_epoch.index

    @property
    def is_poc_phase(self) -> bool:
        """True while counters stall for PoC; an unknown phase is not assumed to be PoC."""
        return self.phase is not None and self.phase not in (EpochPhase.INFERENCE, EpochPhase.UNRECOGNIZED)


@_guard
def parse_epochs_latest(payload: Any) -> EpochsLatest:
    d = _obj(payload, "")
    latest = _obj(d.get("latest_epoch"), "latest_epoch")
    params = _obj(d.get("epoch_params"), "epoch_params")
    epoch_length = req_int(params, "epoch_length", "epoch_params")
    if epoch_length <= 0:
        raise SchemaError("epoch_params.epoch_length: must be positive")
    return EpochsLatest(
        block_height=req_int(d, "block_height"),
        phase=parse_enum(EpochPhase, d.get("phase")),
        latest_epoch=LatestEpoch(
            index=req_int(latest, "index", "latest_epoch"),
            poc_start_block_height=int_or_zero(latest, "poc_start_block_height", "latest_epoch"),
        ),
        epoch_stages=_opt_stages(d, "epoch_stages", ""),
        next_epoch_stages=_opt_stages(d, "next_epoch_stages", ""),
        epoch_length=epoch_length,
        is_confirmation_poc_active=bool(opt_bool(d, "is_confirmation_poc_active", default=False)),
    )


@dataclass(frozen=True, slots=True)
class EpochMlNode:
    node_id: str
    poc_weight: int
    timeslot_allocation: tuple[bool, ...]  # [PRE_POC_SLOT, POC_SLOT]

    @property
    def must_confirm(self) -> bool:
        """Nodes without the POC slot must re-confirm their weight in confirmation PoC (tracker rule)."""
        return len(self.timeslot_allocation) > 1 and not self.timeslot_allocation[1]


@dataclass(frozen=True, slots=True)
class MlNodeGroup:
    model: str | None  # ml_nodes[i] serves models[i]
    nodes: tuple[EpochMlNode, ...]


@dataclass(frozen=True, slots=True)
class EpochParticipant:
    index: str
    weight: int
    validator_key: str
    inference_url: str
    models: tuple[str, ...]
    seed: Seed | None
    ml_node_groups: tuple[MlNodeGroup, ...]

    @property
    def ml_nodes(self) -> tuple[EpochMlNode, ...]:
        return tuple(node for group in self.ml_node_groups for node in group.nodes)

    @property
    def ml_nodes_map(self) -> dict[str, int]:
        return {node.node_id: node.poc_weight for node in self.ml_nodes}

    @property
    def weight_to_confirm(self) -> int:
        return sum(node.poc_weight for node in self.ml_nodes if node.must_confirm)


def _epoch_ml_node(d: Mapping[str, Any], path: str) -> EpochMlNode:
    slots = opt_list(d, "timeslot_allocation", path)
    if not all(isinstance(s, bool) for s in slots):
        raise SchemaError(f"{path}.timeslot_allocation: expected booleans")
    return EpochMlNode(
        node_id=req_str(d, "node_id", path), poc_weight=int_or_zero(d, "poc_weight", path), timeslot_allocation=tuple(slots)
    )


def parse_epoch_participant(d: Mapping[str, Any], path: str) -> EpochParticipant:
    models = str_tuple(d, "models", path)
    groups = []
    for i, raw_group in enumerate(opt_list(d, "ml_nodes", path)):
        gpath = f"{path}.ml_nodes[{i}]"
        group = _obj(raw_group, gpath)
        nodes = _items(opt_list(group, "ml_nodes", gpath), f"{gpath}.ml_nodes", _epoch_ml_node)
        groups.append(MlNodeGroup(model=models[i] if i < len(models) else None, nodes=nodes))
    return EpochParticipant(
        index=req_str(d, "index", path),
        weight=int_or_zero(d, "weight", path),
        validator_key=str_or_empty(d, "validator_key", path),
        inference_url=str_or_empty(d, "inference_url", path),
        models=models,
        seed=_opt_seed(d, "seed", path),
        ml_node_groups=tuple(groups),
    )


@dataclass(frozen=True, slots=True)
class EpochParticipants:
    """Node API `/v1/epochs/current/participants` (the epoch's active set)."""

    epoch_id: int
    epoch_group_id: int
    poc_start_block_height: int
    effective_block_height: int
    created_at_block_height: int
    participants: tuple[EpochParticipant, ...]
    block_height: int | None  # header of the block after the set was created, when present
    block_time: datetime | None

    # Indexed once: the refresh job looks up every assigned node in a set of thousands.
    _by_index: dict[str, EpochParticipant] = field(init=False, repr=False, compare=False)
    total_weight: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_index", {p.index: p for p in self.participants})
        object.__setattr__(self, "total_weight", sum(p.weight for p in self.participants))

    def participant(self, address: str) -> EpochParticipant | None:
        return self._by_index.get(address)


@_guard
def parse_epoch_participants(payload: Any) -> EpochParticipants:
    d = _obj(payload, "")
    ap = _obj(d.get("active_participants"), "active_participants")
    path = "active_participants"
    block_height = block_time = None
    block = d.get("block")
    if isinstance(block, Mapping) and isinstance(block.get("header"), Mapping):  # "[truncated]" in some recordings
        header = block["header"]
        block_height = opt_int(header, "height", "block.header", default=None)
        block_time = opt_timestamp(header, "time", "block.header")
    return EpochParticipants(
        epoch_id=req_int(ap, "epoch_id", path),
        epoch_group_id=int_or_zero(ap, "epoch_group_id", path),
        poc_start_block_height=req_int(ap, "poc_start_block_height", path),
        effective_block_height=req_int(ap, "effective_block_height", path),
        created_at_block_height=int_or_zero(ap, "created_at_block_height", path),
        participants=_items(req_list(ap, "participants", path), f"{path}.participants", parse_epoch_participant),
        block_height=block_height,
        block_time=block_time,
    )


@dataclass(frozen=True, slots=True)
class ChainParticipant:
    """chain-api `participant` record. `weight` here is ±1, NOT the epoch weight."""

    index: str
    address: str
    weight: int
    join_time: int
    join_height: int
    last_inference_time: datetime | None
    inference_url: str
    status: ParticipantStatus | None
    coin_balance: int  # ngonka, unsettled work coins
    validator_key: str
    consecutive_invalid_inferences: int
    worker_public_key: str
    epochs_completed: int
    stats: EpochCounters


def parse_chain_participant(d: Mapping[str, Any], path: str = "participant") -> ChainParticipant:
    index = req_str(d, "index", path)
    stats_raw = d.get("current_epoch_stats")
    stats = EpochCounters() if stats_raw is None else parse_epoch_counters(
        _obj(stats_raw, f"{path}.current_epoch_stats"), f"{path}.current_epoch_stats"
    )
    return ChainParticipant(
        index=index,
        address=opt_str(d, "address", path) or index,
        weight=int_or_zero(d, "weight", path),
        join_time=int_or_zero(d, "join_time", path),
        join_height=int_or_zero(d, "join_height", path),
        last_inference_time=parse_unix_ms(d.get("last_inference_time"), f"{path}.last_inference_time"),
        inference_url=str_or_empty(d, "inference_url", path),
        status=parse_enum(ParticipantStatus, d.get("status")),
        coin_balance=int_or_zero(d, "coin_balance", path),
        validator_key=str_or_empty(d, "validator_key", path),
        consecutive_invalid_inferences=int_or_zero(d, "consecutive_invalid_inferences", path),
        worker_public_key=str_or_empty(d, "worker_public_key", path),
        epochs_completed=int_or_zero(d, "epochs_completed", path),
        stats=stats,
    )


@_guard
def parse_chain_participant_single(payload: Any) -> ChainParticipant:
    """`…/participant/{address}` → `{participant: {…}}`."""
    d = _obj(payload, "")
    return parse_chain_participant(_obj(d.get("participant"), "participant"), "participant")


@dataclass(frozen=True, slots=True)
class ChainParticipantList:
    participants: tuple[ChainParticipant, ...]
    total: int | None
    next_key: str | None  # non-null: the list was cut by pagination
    block_height: int | None


@_guard
def parse_chain_participant_list(payload: Any) -> ChainParticipantList:
    """`…/participant?pagination.limit=…` → `{participant: [...], pagination: {...}}`."""
    d = _obj(payload, "")
    pagination = d.get("pagination")
    pagination = _obj(pagination, "pagination") if pagination is not None else {}
    return ChainParticipantList(
        participants=_items(req_list(d, "participant"), "participant", parse_chain_participant),
        total=opt_int(pagination, "total", "pagination", default=None),
        next_key=opt_str(pagination, "next_key", "pagination") or None,
        block_height=opt_int(d, "block_height", default=None),
    )


@dataclass(frozen=True, slots=True)
class EpochPerformanceSummary:
    """Settled result of one epoch for one participant. Coins in ngonka; written once at settlement."""

    epoch_index: int
    participant_id: str
    inference_count: int
    missed_requests: int
    earned_coins: int  # work coins (fees)
    rewarded_coins: int  # epoch reward coins
    burned_coins: int
    validated_inferences: int
    invalidated_inferences: int
    claimed: bool
    participant_reward_weight: int | None = None  # newer chains only

    @property
    def total_coins(self) -> int:
        return self.earned_coins + self.rewarded_coins


@_guard
def parse_epoch_performance_summary(payload: Any) -> EpochPerformanceSummary:
    d = _obj(payload, "")
    # The chain-api gateway uses the proto JSON name (camelCase) for the wrapper; accept snake_case too.
    raw = d.get("epochPerformanceSummary", d.get("epoch_performance_summary"))
    s = _obj(raw, "epochPerformanceSummary")
    path = "epochPerformanceSummary"
    return EpochPerformanceSummary(
        epoch_index=req_int(s, "epoch_index", path),
        participant_id=req_str(s, "participant_id", path),
        inference_count=int_or_zero(s, "inference_count", path),
        missed_requests=int_or_zero(s, "missed_requests", path),
        earned_coins=int_or_zero(s, "earned_coins", path),
        rewarded_coins=int_or_zero(s, "rewarded_coins", path),
        burned_coins=int_or_zero(s, "burned_coins", path),
        validated_inferences=int_or_zero(s, "validated_inferences", path),
        invalidated_inferences=int_or_zero(s, "invalidated_inferences", path),
        claimed=bool(opt_bool(s, "claimed", path, default=False)),
        participant_reward_weight=opt_int(s, "participant_reward_weight", path, default=None),
    )


@dataclass(frozen=True, slots=True)
class HardwareNodes:
    participant: str
    nodes: tuple[HardwareNode, ...]


@_guard
def parse_hardware_nodes(payload: Any) -> HardwareNodes:
    """`…/hardware_nodes/{address}` → `{nodes: {participant, hardware_nodes: [...]}}`."""
    d = _obj(payload, "")
    n = _obj(d.get("nodes"), "nodes")
    return HardwareNodes(
        participant=str_or_empty(n, "participant", "nodes"),
        nodes=_items(opt_list(n, "hardware_nodes", "nodes"), "nodes.hardware_nodes", parse_hardware_node),
    )


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """CometBFT `/chain-rpc/status` → `result.sync_info`."""

    latest_block_height: int
    latest_block_time: datetime | None
    catching_up: bool


@_guard
def parse_chain_status(payload: Any) -> ChainStatus:
    d = _obj(payload, "")
    result = _obj(d.get("result"), "result")
    sync = _obj(result.get("sync_info"), "result.sync_info")
    return ChainStatus(
        latest_block_height=req_int(sync, "latest_block_height", "result.sync_info"),
        latest_block_time=opt_timestamp(sync, "latest_block_time", "result.sync_info"),
        catching_up=bool(opt_bool(sync, "catching_up", "result.sync_info", default=False)),
    )


@dataclass(frozen=True, slots=True)
class AuthzGrant:
    granter: str
    grantee: str
    msg_type: str
    expiration: datetime | None


@dataclass(frozen=True, slots=True)
class AuthzGrants:
    grants: tuple[AuthzGrant, ...]
    next_key: str | None

    def warm_keys(self, min_message_types: int = 24) -> tuple[str, ...]:
        """Grantees holding at least `min_message_types` distinct message grants (the tracker's warm-key rule)."""
        by_grantee: dict[str, set[str]] = {}
        for grant in self.grants:
            by_grantee.setdefault(grant.grantee, set()).add(grant.msg_type)
        return tuple(sorted(g for g, types in by_grantee.items() if len(types) >= min_message_types))


def _authz_grant(d: Mapping[str, Any], path: str) -> AuthzGrant:
    auth = d.get("authorization")
    auth = _obj(auth, f"{path}.authorization") if auth is not None else {}
    return AuthzGrant(
        granter=req_str(d, "granter", path),
        grantee=req_str(d, "grantee", path),
        msg_type=str_or_empty(auth, "msg", f"{path}.authorization"),
        expiration=opt_timestamp(d, "expiration", path),
    )


@_guard
def parse_authz_grants(payload: Any) -> AuthzGrants:
    """chain-api `cosmos/authz/v1beta1/grants/granter/{address}`."""
    d = _obj(payload, "")
    pagination = d.get("pagination")
    pagination = _obj(pagination, "pagination") if pagination is not None else {}
    return AuthzGrants(
        grants=_items(req_list(d, "grants"), "grants", _authz_grant),
        next_key=opt_str(pagination, "next_key", "pagination") or None,
    )


@dataclass(frozen=True, slots=True)
class SettleAmount:
    participant: str
    epoch_index: int
    reward_coins: int
    work_coins: int


def _settle_amount(d: Mapping[str, Any], path: str) -> SettleAmount:
    return SettleAmount(
        participant=req_str(d, "participant", path),
        epoch_index=int_or_zero(d, "epoch_index", path),
        reward_coins=int_or_zero(d, "reward_coins", path),
        work_coins=int_or_zero(d, "work_coins", path),
    )


@_guard
def parse_settle_amounts(payload: Any) -> tuple[SettleAmount, ...]:
    """chain-api `settle_amount` list (unclaimed settlements)."""
    d = _obj(payload, "")
    return _items(req_list(d, "settle_amount"), "settle_amount", _settle_amount)



# ============================================================================================ Cosmos staking, slashing


def _req_bool(d: Mapping[str, Any], key: str, path: str = "") -> bool:
    value = d.get(key)
    if not isinstance(value, bool):
        raise SchemaError(f"{_where(path, key)}: expected a boolean")
    return value


@dataclass(frozen=True, slots=True)
class StakingValidator:
    """One entry of `cosmos/staking/v1beta1/validators` (doc §2.2 #10)."""

    operator_address: str  # gonkavaloper…: the participant's account bytes under another prefix
    consensus_pubkey: str | None  # base64 ed25519 key; None when absent
    consensus_pubkey_type: str | None  # e.g. "/cosmos.crypto.ed25519.PubKey"
    jailed: bool
    tokens: int  # the tracker ignores validators with 0 tokens
    moniker: str | None
    identity: str | None
    website: str | None


def _staking_validator(d: Mapping[str, Any], path: str) -> StakingValidator:
    pubkey = d.get("consensus_pubkey")
    pubkey = _obj(pubkey, f"{path}.consensus_pubkey") if pubkey is not None else {}
    description = d.get("description")
    description = _obj(description, f"{path}.description") if description is not None else {}
    tokens = req_int(d, "tokens", path)
    if tokens < 0:
        raise SchemaError(f"{path}.tokens: negative")
    return StakingValidator(
        operator_address=req_str(d, "operator_address", path),
        consensus_pubkey=opt_str(pubkey, "key", f"{path}.consensus_pubkey") or None,
        consensus_pubkey_type=opt_str(pubkey, "@type", f"{path}.consensus_pubkey") or None,
        jailed=_req_bool(d, "jailed", path),
        tokens=tokens,
        moniker=opt_str(description, "moniker", f"{path}.description") or None,
        identity=opt_str(description, "identity", f"{path}.description") or None,
        website=opt_str(description, "website", f"{path}.description") or None,
    )


@dataclass(frozen=True, slots=True)
class StakingValidatorsPage:
    validators: tuple[StakingValidator, ...]
    next_key: str | None  # non-null: more pages follow
    total: int | None  # Cosmos counts it only when not paging by key


@_guard
def parse_staking_validators(payload: Any) -> StakingValidatorsPage:
    """chain-api `cosmos/staking/v1beta1/validators` → `{validators: [...], pagination: {next_key, total}}`."""
    d = _obj(payload, "")
    pagination = d.get("pagination")
    pagination = _obj(pagination, "pagination") if pagination is not None else {}
    return StakingValidatorsPage(
        validators=_items(req_list(d, "validators"), "validators", _staking_validator),
        next_key=opt_str(pagination, "next_key", "pagination") or None,
        total=opt_int(pagination, "total", "pagination", default=None),
    )


@dataclass(frozen=True, slots=True)
class SigningInfo:
    """chain-api `cosmos/slashing/v1beta1/signing_infos/{gonkavalcons…}` (doc §2.2 #11)."""

    address: str  # gonkavalcons…
    start_height: int
    index_offset: int
    jailed_until: datetime | None  # the epoch-zero placeholder (1970-01-01, never jailed) maps to None
    tombstoned: bool
    missed_blocks_counter: int


@_guard
def parse_signing_info(payload: Any) -> SigningInfo:
    d = _obj(payload, "")
    s = _obj(d.get("val_signing_info"), "val_signing_info")
    path = "val_signing_info"
    return SigningInfo(
        address=req_str(s, "address", path),
        start_height=int_or_zero(s, "start_height", path),
        index_offset=int_or_zero(s, "index_offset", path),
        jailed_until=opt_timestamp(s, "jailed_until", path),
        tombstoned=bool(opt_bool(s, "tombstoned", path, default=False)),
        missed_blocks_counter=int_or_zero(s, "missed_blocks_counter", path),
    )
