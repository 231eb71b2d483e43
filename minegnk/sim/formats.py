"""Wire formats the real upstreams use: RFC 3339 block times with nanoseconds, the tracker's naive UTC
timestamps, JSON bytes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from functools import lru_cache

try:  # orjson ships with nicegui; plain json keeps the simulator usable without it
    import orjson

    def dumps(value) -> bytes:
        return orjson.dumps(value)
except ImportError:  # pragma: no cover
    import json

    def dumps(value) -> bytes:
        return json.dumps(value, separators=(",", ":")).encode()


def rfc3339_nanos(moment: datetime, salt: int = 0) -> str:
    """Chain block time, e.g. 2025-12-08T13:56:28.426061722Z (the last 3 digits are deterministic filler)."""
    moment = moment.astimezone(timezone.utc)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}{salt % 1000:03d}Z"


def naive_utc(moment: datetime) -> str:
    """The tracker's datetime.utcnow().isoformat(): no offset, no Z."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).isoformat()


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@lru_cache(maxsize=50_000)
def hex_digest(*parts: object, size: int = 32) -> str:
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=size).hexdigest()
