"""In-memory moving-window rate limits (per process).

A moving window keeps the times of the last ``limit`` hits of a key: a hit is allowed when fewer than ``limit`` fell
within the last ``period`` seconds, otherwise it is refused with the seconds until the oldest one leaves the window.
Refused hits are not recorded, so a client that waits as told always gets through.

Limits are per process: with ``--workers 2`` each worker counts on its own (a client can get up to twice the
limit). A deployment with several replicas that needs exact limits would put these counters in Redis.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

SWEEP_EVERY = 4096  # hits between sweeps of idle keys


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds; 0 when allowed
    remaining: int


class MovingWindow:
    def __init__(self, limit: int, period: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if limit < 1 or period <= 0:
            raise ValueError('limit must be >= 1 and period > 0')
        self.limit = limit
        self.period = period
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._since_sweep = 0

    def hit(self, key: str) -> Decision:
        now = self._clock()
        window = self._hits.get(key)
        if window is None:
            window = self._hits[key] = deque()
        start = now - self.period
        while window and window[0] <= start:
            window.popleft()
        if len(window) >= self.limit:
            return Decision(False, window[0] + self.period - now, 0)
        window.append(now)
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY:
            self._sweep(now)
        return Decision(True, 0.0, self.limit - len(window))

    def _sweep(self, now: float) -> None:
        self._since_sweep = 0
        start = now - self.period
        for key in [k for k, w in self._hits.items() if not w or w[-1] <= start]:
            del self._hits[key]

    def reset(self) -> None:
        self._hits.clear()

    def __len__(self) -> int:
        return len(self._hits)


@dataclass
class Limits:
    """The API's limits. Login and register: per client IP and per account. Everything else: per token family
    (one login and its refreshes), and refresh/logout per IP."""

    auth_per_minute: int = 5
    api_per_minute: int = 600
    refresh_per_minute: int = 30

    def build(self, clock: Callable[[], float] = time.monotonic) -> RateLimiters:
        return RateLimiters(
            login_ip=MovingWindow(self.auth_per_minute, 60, clock=clock),
            login_account=MovingWindow(self.auth_per_minute, 60, clock=clock),
            register_ip=MovingWindow(self.auth_per_minute, 60, clock=clock),
            register_account=MovingWindow(self.auth_per_minute, 60, clock=clock),
            refresh_ip=MovingWindow(self.refresh_per_minute, 60, clock=clock),
            token=MovingWindow(self.api_per_minute, 60, clock=clock),
        )


@dataclass
class RateLimiters:
    login_ip: MovingWindow
    login_account: MovingWindow
    register_ip: MovingWindow
    register_account: MovingWindow
    refresh_ip: MovingWindow
    token: MovingWindow
