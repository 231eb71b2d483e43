"""Does the Gonka network know an address? Answered from what the last refresh cycle saw, never by calling upstream.

``is_known`` returns True/False once a refresh cycle has published the network's active set, and None while there is
no data to decide (an assignment then proceeds without a network warning).
"""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session

_lock = threading.Lock()
_addresses: frozenset[str] | None = None
_as_of: datetime | None = None


def publish(addresses: frozenset[str] | None, as_of: datetime | None) -> None:
    """Called by the refresh job after each cycle; None keeps the previous set (the upstreams were unreachable)."""
    global _addresses, _as_of  # noqa: PLW0603
    if addresses is None:
        return
    with _lock:
        _addresses, _as_of = addresses, as_of


def reset() -> None:
    global _addresses, _as_of  # noqa: PLW0603
    with _lock:
        _addresses, _as_of = None, None


def is_known(db: Session, address: str) -> bool | None:  # noqa: ARG001 - same signature as a DB-backed lookup
    """True if the network's active set lists ``address``, False if it does not, None when we cannot tell."""
    with _lock:
        if _addresses is None:
            return None
        return address.strip().lower() in _addresses
