"""How a NodeView is stored in ``node_stats_cache.view``: plain JSON with stable keys, amounts as integer ngonka."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from minegnk.services.status import LivenessState, NodeView
from minegnk.upstream.schemas import Hardware, HardwareNode, HardwareNodeStatus

VIEW_FORMAT = 1


_FIELD_NAMES: dict[type, tuple[str, ...] | None] = {}  # per type: its dataclass fields, or None if not a dataclass
_PLAIN = frozenset({str, int, bool, float, type(None)})


def to_jsonable(value: Any) -> Any:
    """Dataclasses, Decimals (as strings, exact), datetimes (ISO 8601 UTC) and enums (their value) to JSON types.

    Called for every node on every refresh cycle (1,000 views ≈ 75,000 values), hence the fast paths: exact types
    first, and whether a type is a dataclass is looked up once per type.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple or kind is list:
        return [to_jsonable(v) for v in value]
    if kind is Decimal:
        return str(value)
    try:
        names = _FIELD_NAMES[kind]
    except KeyError:
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value)) \
            if dataclasses.is_dataclass(value) and not isinstance(value, type) else None
    if names is not None:
        return {name: to_jsonable(getattr(value, name)) for name in names}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    return value


def view_to_json(view: NodeView) -> dict[str, Any]:
    data = to_jsonable(view)
    data['format'] = VIEW_FORMAT
    return data


def liveness_from_json(data: dict[str, Any] | None) -> LivenessState | None:
    if not data:
        return None
    checked = data.get('checked_at')
    return LivenessState(consecutive_failures=int(data.get('consecutive_failures') or 0), last_ok=data.get('last_ok'),
                         last_error=data.get('last_error'),
                         checked_at=datetime.fromisoformat(checked) if checked else None)


def hardware_to_json(nodes: list[HardwareNode] | tuple[HardwareNode, ...]) -> list[dict[str, Any]]:
    return [to_jsonable(node) for node in nodes]


def hardware_from_json(items: list[dict[str, Any]] | None) -> tuple[HardwareNode, ...]:
    result = []
    for item in items or []:
        status = item.get('status')
        result.append(HardwareNode(
            local_id=item['local_id'],
            status=HardwareNodeStatus(status) if status in HardwareNodeStatus._value2member_map_ else None,
            models=tuple(item.get('models') or ()),
            hardware=tuple(Hardware(type=h['type'], count=int(h['count'])) for h in item.get('hardware') or ()),
            host=item.get('host') or '', port=item.get('port') or '', poc_weight=item.get('poc_weight'),
        ))
    return tuple(result)
