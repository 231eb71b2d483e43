"""The delivery worker: sends due outbox messages (retries with exponential backoff), reads the Telegram bot's
updates to link chats, and writes daily digests. Runs in the app's event loop next to the refresh scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

import httpx

from minegnk.config import Settings
from minegnk.db.engine import session_scope
from minegnk.db.models import utcnow
from minegnk.notify.channels import ChannelError, DiscordChannel, EmailChannel, TelegramChannel
from minegnk.services import digest, notifications, notify_settings, outbox

log = logging.getLogger(__name__)
BATCH = 50
DIGEST_EVERY = timedelta(minutes=1)


class DeliveryWorker:
    def __init__(self, settings: Settings, *, telegram_poll_timeout: int = 25, idle_sleep: float = 1.0) -> None:
        self.settings = settings
        self.client = httpx.AsyncClient(follow_redirects=False)
        self.channels = {'email': EmailChannel(settings), 'telegram': TelegramChannel(settings, self.client),
                         'discord': DiscordChannel(settings, self.client)}
        self.telegram_poll_timeout = telegram_poll_timeout
        self.idle_sleep = idle_sleep
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._telegram_offset: int | None = None
        self._last_digest = None
        self._warned: set[str] = set()

    # ---- lifecycle ----
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        notifications.outbox_written.connect(self._on_written)
        self._tasks.append(asyncio.create_task(self._run(), name='outbox delivery'))
        if self.settings.telegram_bot_token:
            self._tasks.append(asyncio.create_task(self._telegram_loop(), name='telegram updates'))
        log.info('notification delivery started (email %s, telegram %s)',
                 'on' if self.settings.smtp_host else 'off', 'on' if self.settings.telegram_bot_token else 'off')

    async def stop(self) -> None:
        notifications.outbox_written.disconnect(self._on_written)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.client.aclose()

    def _on_written(self, _payload: None) -> None:  # from whichever thread committed
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    async def _run(self) -> None:
        while True:
            done = 0
            try:
                done = await self.run_once()
                await self._digests()
            except Exception:  # a bug in one round must not stop delivery for good
                log.exception('outbox delivery round failed')
            if done >= BATCH:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.notify_poll_seconds)
            self._wake.clear()

    # ---- delivery ----
    async def run_once(self) -> int:
        """Claim and send every due message once; returns how many deliveries were attempted."""
        def claim() -> list[outbox.Delivery]:
            with session_scope() as db:
                return outbox.claim_due(db, base_url=self.settings.public_url, limit=BATCH)
        deliveries = await asyncio.to_thread(claim)
        # One user's messages on one channel go in order (an alert before its recovery); the rest in parallel.
        queues: dict[tuple[int | None, str], list[outbox.Delivery]] = {}
        for delivery in deliveries:
            queues.setdefault((delivery.user_id, delivery.channel), []).append(delivery)

        async def in_order(queue: list[outbox.Delivery]) -> None:
            for delivery in queue:
                await self._deliver(delivery)
        await asyncio.gather(*(in_order(q) for q in queues.values()))
        return len(deliveries)

    async def _deliver(self, delivery: outbox.Delivery) -> None:
        channel = self.channels[delivery.channel]
        if delivery.problem is not None:
            await self._record(delivery, delivery.problem, permanent=True)
            return
        if not channel.configured:
            if delivery.channel not in self._warned:
                self._warned.add(delivery.channel)
                log.warning('%s is not configured on this server; its messages wait in the outbox', delivery.channel)
            await asyncio.to_thread(self._in_session, outbox.release, delivery.ids, f'{delivery.channel} not configured')
            return
        try:
            await channel.send(delivery.destination, delivery.message)
        except ChannelError as e:
            await self._record(delivery, str(e), permanent=e.permanent)
            return
        await asyncio.to_thread(self._in_session, outbox.mark_sent, delivery.ids)

    async def _record(self, delivery: outbox.Delivery, error: str, *, permanent: bool) -> None:
        status = await asyncio.to_thread(
            self._in_session, outbox.mark_failed, delivery.ids, error, permanent=permanent,
            retry_seconds=self.settings.notify_retry_seconds, max_attempts=self.settings.notify_max_attempts,
            held=delivery.held)
        log.warning('%s delivery of %s (outbox %s) failed, %s: %s', delivery.channel, delivery.kind, delivery.ids,
                    'given up' if status == 'dead' else 'will retry', error)

    @staticmethod
    def _in_session(fn, *args, **kwargs):  # noqa: ANN001, ANN205
        with session_scope() as db:
            return fn(db, *args, **kwargs)

    # ---- digests ----
    async def _digests(self) -> None:
        now = utcnow()
        if self._last_digest is not None and now - self._last_digest < DIGEST_EVERY:
            return
        self._last_digest = now
        await asyncio.to_thread(self._in_session, digest.write_due_digests, now)

    # ---- Telegram: /start <code> binds the chat ----
    async def _telegram_loop(self) -> None:
        telegram: TelegramChannel = self.channels['telegram']  # type: ignore[assignment]
        while True:
            try:
                updates = await self.poll_telegram(telegram)
            except ChannelError as e:
                log.warning('reading Telegram updates failed: %s', e)
                updates = -1
            except Exception:
                log.exception('reading Telegram updates failed')
                updates = -1
            if updates <= 0:
                await asyncio.sleep(self.idle_sleep if updates == 0 else max(self.idle_sleep, 5.0))

    async def poll_telegram(self, telegram: TelegramChannel) -> int:
        payload: dict = {'timeout': self.telegram_poll_timeout, 'allowed_updates': ['message']}
        if self._telegram_offset is not None:
            payload['offset'] = self._telegram_offset
        result = await telegram.call('getUpdates', payload, timeout=self.telegram_poll_timeout) or []
        for update in result:  # type: ignore[union-attr]
            self._telegram_offset = max(self._telegram_offset or 0, int(update.get('update_id', 0)) + 1)
            message = update.get('message') or {}
            text = str(message.get('text') or '')
            chat = message.get('chat') or {}
            if text.startswith('/start ') and chat.get('id') is not None and chat.get('type', 'private') == 'private':
                code = text.split(maxsplit=1)[1].strip()
                user_id = await asyncio.to_thread(self._in_session, notify_settings.bind_telegram_chat, code,
                                                  chat['id'])
                log.info('telegram chat %s', 'linked' if user_id else 'sent an unknown or expired code')
        return len(result)  # type: ignore[arg-type]
