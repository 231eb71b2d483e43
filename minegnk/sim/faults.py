"""Run-time fault injection per surface (tracker, each node prefix, participant hosts).

Modes: ok, http500, timeout (sleep longer than a client's read timeout, then answer normally),
slow (sleep a little, then answer), malformed (200 with valid JSON of the wrong shape),
truncated (200 with the real body cut in half: invalid JSON), down (an immediate 502 "Bad Gateway"
page as an nginx in front of a dead process would give; a real refused connection cannot be produced
from inside an ASGI app).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

FAULT_MODES = ("ok", "http500", "timeout", "slow", "malformed", "truncated", "down")


@dataclass(frozen=True)
class Fault:
    mode: str
    delay_seconds: float | None = None


class FaultBoard:
    def __init__(self, node_prefixes: list[str]):
        self.node_prefixes = list(node_prefixes)
        self.targets = ["tracker", *self.node_prefixes, "hosts"]
        self._active: dict[str, Fault] = {}
        self._lock = threading.Lock()

    def expand(self, target: str) -> list[str]:
        if target == "all":
            return list(self.targets)
        if target == "nodes":
            return list(self.node_prefixes)
        if target in self.targets:
            return [target]
        raise ValueError(f"unknown fault target {target!r}; one of all, nodes, {', '.join(self.targets)}")

    def set(self, target: str, mode: str, delay_seconds: float | None = None) -> list[str]:
        if mode not in FAULT_MODES:
            raise ValueError(f"unknown fault mode {mode!r}; one of {', '.join(FAULT_MODES)}")
        targets = self.expand(target)
        with self._lock:
            for t in targets:
                if mode == "ok":
                    self._active.pop(t, None)
                else:
                    self._active[t] = Fault(mode, delay_seconds)
        return targets

    def get(self, target: str) -> Fault | None:
        return self._active.get(target)

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def snapshot(self) -> dict:
        return {t: {"mode": f.mode, "delay_seconds": f.delay_seconds} for t, f in sorted(self._active.items())}
