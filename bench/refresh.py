"""Benchmark: refresh cycles against the simulator with 5,000 participants and 1,000 assigned nodes.

    .venv/bin/python bench/refresh.py [--participants 5000] [--nodes 1000] [--database-url URL]

The simulator runs in its own process (as the real upstreams would), the refresh job in this one. Reports wall
time, peak RSS of this process and upstream requests per cycle for: the first cycle, the backfill of up to 60
settled epochs per node (which runs after cycles, not in them), steady-state cycles, and the cycle after an epoch
rolls over (one new settled epoch and new hardware per node).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import machine  # noqa: E402  (bench/machine.py, beside this file)
from processes import start_sim  # noqa: E402

from minegnk.db.engine import init_database, session_scope  # noqa: E402
from minegnk.db.migrate import upgrade_to_head  # noqa: E402
from minegnk.db.models import Node, NodeAssignment, User  # noqa: E402
from minegnk.jobs.refresh import RefreshJob, Upstreams  # noqa: E402
from minegnk.upstream.node_api import NodeApiClient  # noqa: E402
from minegnk.upstream.probe import make_probe_client  # noqa: E402
from minegnk.upstream.tracker import TrackerClient  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def assign_nodes(base: str, count: int) -> None:
    participants = httpx.get(f'{base}/api/v1/inference/current', timeout=30).json()['participants']
    addresses = [p['address'] for p in participants][:count]
    with session_scope() as db:
        for i in range(0, len(addresses), 50):
            user = User(email=f'bench{i}@example.com', password_hash='x')
            db.add(user)
            db.flush()
            for address in addresses[i:i + 50]:
                node = Node(address=address)
                db.add(node)
                db.flush()
                db.add(NodeAssignment(node_id=node.id, user_id=user.id))


async def measure(job: RefreshJob, base: str, label: str) -> dict:
    httpx.post(f'{base}/_sim/stats/reset', timeout=10)
    started = time.perf_counter()
    report = await job.run_cycle()
    wall = time.perf_counter() - started
    requests = httpx.get(f'{base}/_sim/stats', timeout=10).json()['total']
    row = {'cycle': label, 'wall_s': round(wall, 2), 'requests': requests, 'peak_rss_mb': round(peak_rss_mb(), 1),
           'nodes': report.nodes, 'new_epochs': report.new_epochs_stored, 'source': report.source,
           'timings': report.timings}
    print(f"{label:<28} {row['wall_s']:>7.2f} s  {requests:>6} requests  peak RSS {row['peak_rss_mb']:>6.1f} MB  "
          f"new epochs {report.new_epochs_stored:>6}  source {report.source}  phases {report.timings}", flush=True)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--participants', type=int, default=5000)
    parser.add_argument('--nodes', type=int, default=1000)
    parser.add_argument('--database-url', default=None, help='default: a temporary SQLite file')
    parser.add_argument('--skip-backfill', action='store_true', help='skip the (long) backfill of 60 epochs per node')
    args = parser.parse_args()

    url = args.database_url or f'sqlite:///{tempfile.mkdtemp()}/bench.sqlite3'
    upgrade_to_head(url)
    init_database(url)
    process, base = start_sim(args.participants)
    print(f'machine {json.dumps(machine.describe())}; '
          f'database {url.split(":")[0]}; {args.participants} participants, {args.nodes} assigned nodes')
    try:
        assign_nodes(base, args.nodes)
        upstreams = Upstreams(TrackerClient(base, timeout=30), NodeApiClient([f'{base}/n1', f'{base}/n2'], timeout=30,
                                                                   max_concurrency=4),
                              make_probe_client(max_connections=32))
        job = RefreshJob(upstreams)
        await measure(job, base, 'first cycle')
        for i in range(30):  # settled epochs and hardware arrive within the per-cycle budget: catch up first
            row = await measure(job, base, f'catching up {i + 1}')
            if row['requests'] <= args.nodes + 5:
                break
        started = time.perf_counter()
        stored = 0
        while not args.skip_backfill and (batch := await job.backfill_pending()):
            stored += batch
        print(f'{"backfill (after cycles)":<28} {time.perf_counter() - started:>7.2f} s  {stored} settled epochs stored, '
              f'peak RSS {peak_rss_mb():.1f} MB', flush=True)
        for _ in range(3):
            await measure(job, base, 'steady state')
        httpx.post(f'{base}/_sim/advance', json={'epochs': 1}, timeout=30)
        for i in range(30):
            row = await measure(job, base, 'after epoch rollover' if i == 0 else f'rollover + {i} cycles')
            if i and row['requests'] <= args.nodes + 5:
                break
        await measure(job, base, 'steady state (new epoch)')
        await upstreams.aclose()
    finally:
        process.terminate()
        process.wait(timeout=10)


if __name__ == '__main__':
    asyncio.run(main())
