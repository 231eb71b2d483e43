"""Runs the refresh job on APScheduler's interval trigger inside the app's event loop, and the hourly status-history
retention on a worker thread."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import OperationalError

from minegnk.db.engine import session_scope
from minegnk.db.models import utcnow
from minegnk.jobs.refresh import CycleReport, RefreshJob
from minegnk.services import history_retention, system

log = logging.getLogger(__name__)
JOB_ID = 'refresh'
RETENTION_JOB_ID = 'status-history-retention'
RETENTION_EVERY = timedelta(hours=1)


class RefreshScheduler:
    def __init__(self, job: RefreshJob, interval_seconds: int, on_cycle: Callable[[CycleReport], None], *,
                 history_days: int = 90) -> None:
        self.job = job
        self.interval_seconds = interval_seconds
        self.on_cycle = on_cycle
        self.history_days = history_days
        self._retention_runs = 0
        self.scheduler: AsyncIOScheduler | None = None
        self._ticking = False  # a tick (cycle + backfill) is under way
        self._again = False  # "run now" was asked during that tick

    def start(self) -> None:
        """Call from inside the running event loop (the app's startup hook), never at import."""
        self.scheduler = AsyncIOScheduler(job_defaults={'coalesce': True, 'max_instances': 1, 'misfire_grace_time': 30})
        self.scheduler.add_job(self.tick, 'interval', seconds=self.interval_seconds, id=JOB_ID, next_run_time=utcnow())
        self.scheduler.add_job(self.apply_retention, 'interval', seconds=RETENTION_EVERY.total_seconds(),
                               id=RETENTION_JOB_ID, next_run_time=utcnow() + timedelta(minutes=5))
        self.scheduler.start()
        system.register_refresh_callback(self.run_now)

    async def tick(self) -> CycleReport | None:
        self._ticking = True
        try:
            while True:
                self._again = False
                report = await self._tick_once()
                if not self._again:
                    return report
        finally:
            self._ticking = False

    async def _tick_once(self) -> CycleReport | None:
        try:
            report = await self.job.run_cycle()
        except OperationalError as e:  # our own database is down: expected during an outage, retried next interval
            log.warning('refresh cycle skipped, database unavailable: %s', e.__class__.__name__)
            return None
        except Exception:  # a bug in one cycle must not stop the next ones
            log.exception('refresh cycle failed')
            return None
        next_run = self.next_run_time()
        system.record_scheduler_run(report.finished_at, next_run)
        self.on_cycle(report)
        try:
            if await self.job.backfill_pending():
                self.on_cycle(report)  # history arrived: open pages redraw their charts
        except Exception:
            log.exception('earnings backfill failed')
        return report

    async def apply_retention(self) -> history_retention.RetentionReport | None:
        """Thin and expire status history. A process's first run covers all history (nothing is assumed about
        earlier processes); later runs only the rows that left the full-resolution period since, with margin."""
        lookback = None if self._retention_runs == 0 else 2 * RETENTION_EVERY
        try:
            report = await asyncio.to_thread(history_retention.apply_retention, session_scope, now=utcnow(),
                                             keep_days=self.history_days, lookback=lookback)
        except OperationalError as e:
            log.warning('status-history retention skipped, database unavailable: %s', e.__class__.__name__)
            return None
        except Exception:
            log.exception('status-history retention failed')
            return None
        self._retention_runs += 1
        if report.thinned or report.expired:
            log.info('status history: %d rows thinned, %d expired', report.thinned, report.expired)
        return report

    def run_now(self) -> None:
        """"Refresh now" (admin page) or a new assignment: run the job at once. Asked during a tick, the tick runs
        once more when it ends: its cycle may have read the nodes before the change, and APScheduler would drop a
        second instance of the job."""
        if self.scheduler is None:
            return
        if self._ticking:
            self._again = True
            return
        self.scheduler.modify_job(JOB_ID, next_run_time=utcnow())

    def next_run_time(self):  # noqa: ANN201
        job = self.scheduler.get_job(JOB_ID) if self.scheduler else None
        return job.next_run_time if job else utcnow() + timedelta(seconds=self.interval_seconds)

    def shutdown(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.scheduler = None
