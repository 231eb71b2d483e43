"""Starts and stops the background refresh with the app; tells open pages when fresh data is in."""

from __future__ import annotations

import logging

from nicegui import app, core

from minegnk.components.live import data_refreshed
from minegnk.config import Settings
from minegnk.jobs.delivery import DeliveryWorker
from minegnk.jobs.refresh import CycleReport, RefreshJob, Upstreams
from minegnk.jobs.scheduler import RefreshScheduler
from minegnk.services import assignment_events, network_directory

log = logging.getLogger(__name__)


class Background:
    """The process's one refresher (enable it on exactly one instance: MINEGNK_SCHEDULER_ENABLED)."""

    def __init__(self, settings: Settings, *, prime_cycles: int = 0) -> None:
        self.settings = settings
        self.prime_cycles = prime_cycles
        self.upstreams: Upstreams | None = None
        self.job: RefreshJob | None = None
        self.scheduler: RefreshScheduler | None = None
        self.delivery: DeliveryWorker | None = None  # notification outbox, Telegram updates, digests

    async def start(self) -> None:
        self.upstreams = Upstreams.from_settings(self.settings)
        self.job = RefreshJob(self.upstreams)
        self.scheduler = RefreshScheduler(self.job, self.settings.refresh_seconds, self._after_cycle,
                                          history_days=self.settings.status_history_days)
        for _ in range(self.prime_cycles):  # demo: data and history before the first page
            self._after_cycle(await self.job.run_cycle())
            await self.job.backfill_pending()
        self.scheduler.start()
        self.delivery = DeliveryWorker(self.settings)
        await self.delivery.start()
        assignment_events.node_assigned.connect(self._on_node_assigned)
        log.info('background refresh every %d s (tracker %s, node API %s)', self.settings.refresh_seconds,
                 self.settings.tracker_url, ', '.join(self.settings.node_url_list))

    async def stop(self) -> None:
        assignment_events.node_assigned.disconnect(self._on_node_assigned)
        if self.scheduler is not None:
            self.scheduler.shutdown()
        if self.delivery is not None:
            await self.delivery.stop()
        if self.upstreams is not None:
            await self.upstreams.aclose()

    def _after_cycle(self, report: CycleReport) -> None:
        network_directory.publish(self.job.known_addresses if report.source else None, report.finished_at)
        data_refreshed.emit(report)

    def _on_node_assigned(self, _address: str) -> None:
        # A new node gets its status and earnings history on the next cycle: run it now instead of in 2 minutes.
        if self.scheduler is not None and core.loop is not None:
            core.loop.call_soon_threadsafe(self.scheduler.run_now)


def install(settings: Settings, *, prime_cycles: int = 0) -> Background | None:
    if not settings.scheduler_enabled:
        return None
    background = Background(settings, prime_cycles=prime_cycles)
    app.on_startup(background.start)
    app.on_shutdown(background.stop)
    return background
