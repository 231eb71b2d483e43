"""The machine a benchmark ran on and how fast it was at that moment.

Machines of the same kind differ (the same code gave a 1.2 s dashboard on one and 0.5 s on another), so every
benchmark prints this beside its figures: `reference_ms` is a fixed pure-Python workload (best of 5), which makes
figures from two runs comparable, and the load average tells whether something else was running.

    .venv/bin/python bench/machine.py
"""
from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path


def _workload() -> int:
    # Dicts, strings, sorting and JSON: the kind of work our cycle and page builds do.
    rows = [{'address': f'gonka1{i:038d}', 'weight': i * 7919 % 10007, 'status': ('healthy', 'jailed')[i % 2]}
            for i in range(20_000)]
    rows.sort(key=lambda r: (r['status'], -r['weight']))
    return len(json.loads(json.dumps(rows)))


def reference_ms(repeat: int = 5) -> int:
    best = float('inf')
    for _ in range(repeat):
        started = time.perf_counter()
        _workload()
        best = min(best, time.perf_counter() - started)
    return round(best * 1000)


def cpu_model() -> str:
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> dict:
    return {'cpu': cpu_model(), 'cpus': os.cpu_count(), 'machine': platform.machine(),
            'python': platform.python_version(), 'load_average_1m': round(os.getloadavg()[0], 2),
            'reference_ms': reference_ms()}


if __name__ == '__main__':
    print(json.dumps(describe()))
