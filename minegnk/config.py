"""Application settings: one object, read once from the environment (prefix ``MINEGNK_``) and ``.env``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_NODE_URLS = 'http://node1.gonka.ai:8000,http://node2.gonka.ai:8000,http://node3.gonka.ai:8000,https://node4.gonka.ai'

# Values people paste from examples; never acceptable as a real secret.
PLACEHOLDER_SECRETS = frozenset({
    '', 'changethis', 'change-me', 'changeme', 'secret', 'THIS_NEEDS_TO_BE_CHANGED', 'placeholder', 'example',
})
MIN_SECRET_LENGTH = 32


class SettingsError(RuntimeError):
    """Configuration that must stop the app, with a message meant for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix='MINEGNK_', env_file='.env', env_ignore_empty=True, extra='ignore')

    env: Literal['development', 'production'] = 'development'
    host: str = '127.0.0.1'
    port: int = Field(8080, ge=1, le=65535)
    data_dir: Path = Path('data')
    database_url: str = ''
    storage_secret: str = ''
    jwt_secret: str = ''
    https: bool = False
    admin_email: str = ''
    admin_password: str = ''
    scheduler_enabled: bool = True
    refresh_seconds: int = Field(120, ge=60, le=300)
    status_history_days: int = Field(90, ge=31, le=3650)  # older status history is deleted (thinned after 48 h)
    tracker_url: str = 'https://tracker.gonka.hyperfusion.io'
    node_urls: str = DEFAULT_NODE_URLS
    reconnect_timeout: float = Field(15.0, ge=1, le=300)
    log_level: str = 'INFO'
    demo_password: str = 'demo-password'
    api_rate_per_minute: int = Field(600, ge=1, le=10_000_000)  # API requests per login (token family) per minute
    # Notifications (issue 6). Links in emails and messages point at public_url.
    public_url: str = 'http://127.0.0.1:8080'
    smtp_host: str = ''  # empty: email is not sent (messages wait in the outbox)
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_security: Literal['none', 'starttls', 'tls'] = 'starttls'
    smtp_user: str = ''
    smtp_password: str = ''
    smtp_from: str = 'MineGNK <noreply@localhost>'
    telegram_bot_token: str = ''  # empty: Telegram is not offered
    telegram_api_url: str = 'https://api.telegram.org'
    telegram_bot_name: str = ''
    discord_api_url: str = 'https://discord.com'  # where validated Discord webhook URLs are sent
    alert_confirm_cycles: int = Field(2, ge=1, le=20)  # refreshes a new node state must hold before it alerts
    alert_flap_changes: int = Field(4, ge=2, le=100)  # this many state changes within the window = flapping
    alert_flap_window_minutes: int = Field(60, ge=5, le=1440)
    alert_incident_share: float = Field(0.3, gt=0, le=1)  # network failing share that makes a network incident
    notify_poll_seconds: float = Field(5.0, ge=0.05, le=300)  # delivery worker: how often it looks for due messages
    notify_retry_seconds: float = Field(30.0, ge=0.01, le=3600)  # first retry delay; doubles per attempt (max 6 h)
    notify_max_attempts: int = Field(10, ge=1, le=100)

    @field_validator('database_url')
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        return normalise_database_url(value) if value else value

    @model_validator(mode='after')
    def _check_secrets(self) -> Settings:
        if self.env == 'production':
            for name in ('storage_secret', 'jwt_secret'):
                value = getattr(self, name)
                if value in PLACEHOLDER_SECRETS or len(value) < MIN_SECRET_LENGTH:
                    raise SettingsError(
                        f'MINEGNK_{name.upper()} must be set to a random value of at least {MIN_SECRET_LENGTH} '
                        f'characters in production (for example: python -c "import secrets; print(secrets.token_urlsafe(48))").')
        return self

    @property
    def is_development(self) -> bool:
        return self.env == 'development'

    @property
    def node_url_list(self) -> list[str]:
        return [url.strip().rstrip('/') for url in self.node_urls.split(',') if url.strip()]

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f'sqlite:///{(self.data_dir / "minegnk.sqlite3").resolve()}'

    def resolved_secret(self, name: Literal['storage_secret', 'jwt_secret']) -> str:
        """The configured secret, or in development a random one persisted under the data dir (so sessions survive restarts)."""
        value = getattr(self, name)
        if value:
            return value
        if not self.is_development:  # guarded by the validator; kept for safety
            raise SettingsError(f'MINEGNK_{name.upper()} is required in production')
        path = self.data_dir / f'.{name}'
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        value = secrets.token_urlsafe(48)
        path.write_text(value)
        path.chmod(0o600)
        return value


def normalise_database_url(url: str) -> str:
    """Accept postgres://, postgresql:// and postgresql+psycopg:// and always use the psycopg 3 driver."""
    for prefix in ('postgres://', 'postgresql://'):
        if url.startswith(prefix):
            return 'postgresql+psycopg://' + url[len(prefix):]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
