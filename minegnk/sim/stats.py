"""Counts the requests the simulator serves, by path template and by surface prefix."""

from __future__ import annotations

import threading
from collections import Counter


class RequestStats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_template: Counter[str] = Counter()
            self.by_prefix: Counter[str] = Counter()
            self.by_prefix_template: Counter[str] = Counter()

    def count(self, prefix: str, template: str) -> None:
        with self._lock:
            self.total += 1
            self.by_template[template] += 1
            self.by_prefix[prefix] += 1
            self.by_prefix_template[f"{prefix} {template}"] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self.total,
                "by_template": dict(self.by_template),
                "by_prefix": dict(self.by_prefix),
                "by_prefix_template": dict(self.by_prefix_template),
            }
