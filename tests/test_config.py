"""Settings: database URL forms, secrets in development and production, bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from minegnk.config import Settings, SettingsError


@pytest.mark.parametrize('url', ['postgres://u:p@h:5432/db', 'postgresql://u:p@h:5432/db',
                                 'postgresql+psycopg://u:p@h:5432/db'])
def test_every_postgres_url_form_uses_psycopg3(url):
    assert Settings(database_url=url).effective_database_url == 'postgresql+psycopg://u:p@h:5432/db'


def test_sqlite_file_under_data_dir_is_the_default(tmp_path, monkeypatch):
    monkeypatch.delenv('MINEGNK_DATABASE_URL')
    settings = Settings(data_dir=tmp_path)
    assert settings.effective_database_url == f'sqlite:///{tmp_path.resolve()}/minegnk.sqlite3'


def test_development_secret_is_generated_once_and_persisted(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret('storage_secret')
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path).resolved_secret('storage_secret') == first
    assert (tmp_path / '.storage_secret').stat().st_mode & 0o777 == 0o600
    assert settings.resolved_secret('jwt_secret') != first


@pytest.mark.parametrize('secret', ['', 'changethis', 'THIS_NEEDS_TO_BE_CHANGED', 'too-short-but-not-placeholder'])
def test_production_refuses_missing_placeholder_or_short_secrets(secret):
    with pytest.raises((SettingsError, ValidationError)) as error:
        Settings(env='production', storage_secret=secret, jwt_secret='x' * 40)
    assert 'MINEGNK_STORAGE_SECRET' in str(error.value)


def test_production_accepts_real_secrets():
    settings = Settings(env='production', storage_secret='s' * 40, jwt_secret='j' * 40)
    assert settings.resolved_secret('jwt_secret') == 'j' * 40


def test_refresh_interval_is_bounded():
    with pytest.raises(ValidationError):
        Settings(refresh_seconds=30)
    assert Settings(refresh_seconds=60).refresh_seconds == 60


def test_node_urls_are_split_and_trimmed():
    assert Settings(node_urls=' http://a:8000/ , https://b ').node_url_list == ['http://a:8000', 'https://b']
