"""In-process notifications from services to whoever listens (the UI layer), without services importing the UI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar('T')
log = logging.getLogger(__name__)


class Signal(Generic[T]):
    """A list of callbacks; a failing listener is logged and never breaks the service that emitted."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[[T], None]] = []

    def connect(self, listener: Callable[[T], None]) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def disconnect(self, listener: Callable[[T], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def emit(self, payload: T) -> None:
        for listener in list(self._listeners):
            try:
                listener(payload)
            except Exception:
                log.exception('listener of %s failed', self.name)


# Payload: the sha256 hashes of the session tokens that were just revoked.
sessions_revoked: Signal[frozenset[str]] = Signal('sessions_revoked')
