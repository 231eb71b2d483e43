"""CPU time of the pure-Python steps of one refresh cycle, without network or database.

    .venv/bin/python bench/cycle_cpu.py [--participants 5000] [--nodes 1000] [--runs 10]

Takes one real tracker payload from the simulator (``/api/v1/inference/current``), then times, as process CPU time
(the minimum of ``--runs``, so other work on a shared machine hardly moves it): decoding the JSON, parsing it into
the schema objects, building the view of ``--nodes`` nodes, converting those views to the JSON stored in the status
cache, and decoding that stored JSON again with a recent-jobs list like the refresh job adds (done when the next
cycle loads the caches). Run it against another
checkout with ``PYTHONPATH=that/checkout`` to compare before and after a change.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if not os.environ.get('PYTHONPATH'):
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402


def fetch(participants: int) -> bytes:
    """The tracker payload as the simulator serves it."""
    with __import__('socket').socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, '-m', 'minegnk.sim', '--port', str(port), '--participants',
                                str(participants), '--speed', '0', '--no-scripted', '--log-level', 'warning'],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}'
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                body = httpx.get(f'{base}/api/v1/inference/current', timeout=60).content
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError('simulator did not start') from None
                time.sleep(0.2)
        return body
    finally:
        process.terminate()
        process.wait(timeout=10)


def best(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.process_time()
        result = work()
        times.append(time.process_time() - started)
    return min(times) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--participants', type=int, default=5000)
    parser.add_argument('--nodes', type=int, default=1000)
    parser.add_argument('--runs', type=int, default=10)
    args = parser.parse_args()

    import minegnk
    from minegnk.services import node_cache
    from minegnk.services.status import LivenessState, TrackerSnapshot, build_node_view
    from minegnk.upstream.http import decode_json
    from minegnk.upstream.schemas import parse_inference_response

    body = fetch(args.participants)
    payload = decode_json(body)
    decode_ms, _ = best(args.runs, lambda: decode_json(body))
    parse_ms, tracker = best(args.runs, lambda: parse_inference_response(payload))
    now = tracker.cached_at
    addresses = [p.address for p in tracker.participants[:args.nodes]]
    liveness = LivenessState(0, True, None, now)
    views_ms, views = best(args.runs, lambda: [
        build_node_view(a, TrackerSnapshot(tracker, None, True), now=now, liveness=liveness, node_api_reachable=True)
        for a in addresses])
    json_ms, stored = best(args.runs, lambda: [node_cache.view_to_json(v) for v in views])
    texts = [json.dumps(s) for s in stored]  # recent jobs are stored apart since migration 0004
    load_ms, _ = best(args.runs, lambda: [json.loads(t) for t in texts])

    print(f'# {platform.node()} · Python {platform.python_version()} · code from {Path(minegnk.__file__).parent} · '
          f'{len(tracker.participants)} participants ({len(body) / 1e6:.1f} MB), {len(views)} node views · '
          f'CPU ms, best of {args.runs}')
    print('| step | CPU ms |')
    print('|---|---:|')
    for label, value in (('decode the tracker JSON', decode_ms), ('parse it into schema objects', parse_ms),
                         (f'build {len(views)} node views', views_ms), ('views → stored JSON', json_ms),
                         (f'decode {len(views)} stored views ({sum(map(len, texts)) // len(texts):,} B each)', load_ms)):
        print(f'| {label} | {value:.0f} |')
    print(f'| **total** | **{decode_ms + parse_ms + views_ms + json_ms + load_ms:.0f}** |')


if __name__ == '__main__':
    main()
