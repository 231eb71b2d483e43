"""The external channels: email (SMTP), Telegram (Bot API) and Discord (webhooks). Each sends one rendered message."""

from __future__ import annotations

import asyncio
import html
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import urlsplit

import httpx

from minegnk.config import Settings
from minegnk.notify.render import Rendered

TIMEOUT = httpx.Timeout(15.0, connect=10.0)


class ChannelError(Exception):
    """A failed send. ``permanent``: retrying cannot help (bad address, blocked bot, deleted webhook)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class EmailChannel:
    name = 'email'

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    def build(self, to: str, message: Rendered) -> EmailMessage:
        mail = EmailMessage()
        mail['Subject'] = message.title
        mail['From'] = self.settings.smtp_from
        mail['To'] = to
        mail['Date'] = formatdate(localtime=False)
        mail['Message-ID'] = make_msgid(domain=self.settings.smtp_from.rsplit('@', 1)[-1].strip('> ') or None)
        mail.set_content(message.text)
        mail.add_alternative(f'<!doctype html><html><body>{message.html}</body></html>', subtype='html')
        return mail

    async def send(self, to: str, message: Rendered) -> None:
        await asyncio.to_thread(self._send, self.build(to, message))

    def _send(self, mail: EmailMessage) -> None:
        s = self.settings
        try:
            if s.smtp_security == 'tls':
                client: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=30,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30)
            with client:
                if s.smtp_security == 'starttls':
                    client.starttls(context=ssl.create_default_context())
                if s.smtp_user:
                    client.login(s.smtp_user, s.smtp_password)
                client.send_message(mail)
        except smtplib.SMTPRecipientsRefused as e:
            raise ChannelError(f'recipient refused: {e.recipients}', permanent=True) from e
        except smtplib.SMTPResponseException as e:
            raise ChannelError(f'SMTP {e.smtp_code}: {e.smtp_error!r}', permanent=e.smtp_code >= 500) from e
        except (OSError, smtplib.SMTPException) as e:
            raise ChannelError(f'SMTP: {e.__class__.__name__}: {e}') from e


def telegram_html(message: Rendered) -> str:
    parts = [f'<b>{html.escape(message.title)}</b>']
    parts += [html.escape(line) for line in message.lines]
    for item in message.items:
        parts.append(f'• <b>{html.escape(item.title)}</b>')
        parts += [html.escape(line) for line in item.lines]
    if message.link:
        parts.append(f'<a href="{html.escape(message.link, quote=True)}">{html.escape(message.link_label or message.link)}</a>')
    return '\n'.join(parts)


class TelegramChannel:
    name = 'telegram'

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    @property
    def configured(self) -> bool:
        return bool(self.settings.telegram_bot_token)

    def url(self, method: str) -> str:
        return f'{self.settings.telegram_api_url.rstrip("/")}/bot{self.settings.telegram_bot_token}/{method}'

    async def send(self, chat_id: str, message: Rendered) -> None:
        await self.call('sendMessage', {'chat_id': chat_id, 'text': telegram_html(message)[:4096], 'parse_mode': 'HTML',
                                        'disable_web_page_preview': True})

    async def call(self, method: str, payload: dict, *, timeout: float | None = None) -> object:
        try:
            response = await self.client.post(self.url(method), json=payload,
                                               timeout=TIMEOUT if timeout is None else timeout + 10)
        except httpx.HTTPError as e:
            raise ChannelError(f'Telegram: {e.__class__.__name__}') from e  # never log the URL: it has the token
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 200 and body.get('ok'):
            return body.get('result')
        # 400 (chat not found), 401 (bad token) and 403 (bot blocked) do not heal by retrying; 429 and 5xx may.
        description = str(body.get('description') or response.reason_phrase)[:200]
        raise ChannelError(f'Telegram {response.status_code}: {description}',
                           permanent=response.status_code in (400, 403, 404))


WEBHOOK_HOSTS = ('discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com')


class DiscordChannel:
    name = 'discord'

    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    configured = True  # every user brings their own webhook

    def target(self, webhook_url: str) -> str:
        """The validated webhook URL, sent to ``MINEGNK_DISCORD_API_URL`` (discord.com unless proxied or tested)."""
        path = urlsplit(webhook_url).path
        return f'{self.settings.discord_api_url.rstrip("/")}{path}'

    async def send(self, webhook_url: str, message: Rendered) -> None:
        description = '\n'.join([*message.lines, *(f'• {i.title}' for i in message.items)])[:4000]
        embed = {'title': message.title[:256], 'description': description}
        if message.link:
            embed['url'] = message.link
        payload = {'content': None, 'embeds': [embed], 'allowed_mentions': {'parse': []}}
        try:
            response = await self.client.post(self.target(webhook_url), json=payload, timeout=TIMEOUT)
        except httpx.HTTPError as e:
            raise ChannelError(f'Discord: {e.__class__.__name__}') from e
        if response.status_code in (200, 204):
            return
        raise ChannelError(f'Discord {response.status_code}', permanent=response.status_code in (400, 401, 403, 404))
