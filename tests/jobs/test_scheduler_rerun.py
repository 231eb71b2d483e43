""""Refresh now" and new assignments while a refresh is under way are not lost: the tick runs once more."""

from __future__ import annotations

import asyncio

from minegnk.db.models import utcnow
from minegnk.jobs.refresh import CycleReport
from minegnk.jobs.scheduler import RefreshScheduler
from minegnk.services import system


class FakeJob:
    """Counts cycles; ``during`` is called inside the first cycle and ``during_backfill`` inside its backfill."""

    def __init__(self) -> None:
        self.cycles = 0
        self.running = False
        self.during = None
        self.during_backfill = None

    async def run_cycle(self) -> CycleReport:
        self.cycles += 1
        self.running = True
        if self.cycles == 1 and self.during:
            self.during()
        await asyncio.sleep(0)
        self.running = False
        return CycleReport(started_at=utcnow(), finished_at=utcnow())

    async def backfill_pending(self) -> int:
        if self.cycles == 1 and self.during_backfill:
            self.during_backfill()
        return 0


async def scheduler_with(job: FakeJob) -> RefreshScheduler:
    scheduler = RefreshScheduler(job, 3600, lambda report: None)  # type: ignore[arg-type]
    scheduler.start()
    await asyncio.sleep(0.2)  # the first tick runs at start
    return scheduler


async def test_a_request_during_the_cycle_runs_one_more_cycle_right_after():
    job = FakeJob()
    job.during = lambda: (system.request_refresh(), system.request_refresh())  # twice: still one more, not two
    scheduler = await scheduler_with(job)
    try:
        assert job.cycles == 2
    finally:
        scheduler.shutdown()
        system.reset()


async def test_a_request_during_the_backfill_is_not_dropped():
    job = FakeJob()
    job.during_backfill = lambda: system.request_refresh()
    scheduler = await scheduler_with(job)
    try:
        assert job.cycles == 2
    finally:
        scheduler.shutdown()
        system.reset()


async def test_a_request_between_ticks_runs_at_once():
    job = FakeJob()
    scheduler = await scheduler_with(job)
    try:
        assert job.cycles == 1
        scheduler.run_now()
        for _ in range(50):
            if job.cycles == 2:
                break
            await asyncio.sleep(0.1)
        assert job.cycles == 2
    finally:
        scheduler.shutdown()
        system.reset()
