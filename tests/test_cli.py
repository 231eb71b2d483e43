"""The command line, run as an operator would: a real subprocess against a real database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from minegnk.db.engine import init_database, session_scope
from minegnk.db.models import User
from minegnk.services import accounts

ROOT = Path(__file__).resolve().parent.parent


def run_main(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / 'main.py'), *args], env={**os.environ, **env}, input=stdin,
                          capture_output=True, text=True, timeout=60, cwd=ROOT)


@pytest.fixture
def cli_env(isolated_settings: Path) -> dict[str, str]:
    return {'MINEGNK_DATA_DIR': str(isolated_settings), 'MINEGNK_DATABASE_URL': f'sqlite:///{isolated_settings}/cli.sqlite3'}


def test_help_lists_every_subcommand(cli_env):
    result = run_main('--help', env=cli_env)
    assert result.returncode == 0
    for command in ('serve', 'migrate', 'create-admin', '--demo'):
        assert command in result.stdout


def test_migrate_creates_the_schema(cli_env):
    result = run_main('migrate', env=cli_env)
    assert result.returncode == 0, result.stderr
    assert 'newest schema' in result.stdout


def test_create_admin_twice_makes_one_admin_who_can_log_in(cli_env):
    env = {**cli_env, 'MINEGNK_ADMIN_PASSWORD': 'a long admin secret'}
    first = run_main('create-admin', 'Ops@Example.com', env=env)
    assert first.returncode == 0, first.stderr
    assert 'Admin ops@example.com created.' in first.stdout
    second = run_main('create-admin', 'ops@example.com', env=env)
    assert second.returncode == 0, second.stderr
    assert 'already exists' in second.stdout

    init_database(cli_env['MINEGNK_DATABASE_URL'])
    with session_scope() as db:
        assert db.scalar(select(func.count()).select_from(User)) == 1
        assert db.scalar(select(User.role)) == 'admin'
        assert accounts.login(db, 'ops@example.com', 'a long admin secret').user_id


def test_create_admin_refuses_a_weak_password_and_needs_one(cli_env):
    weak = run_main('create-admin', 'ops@example.com', env={**cli_env, 'MINEGNK_ADMIN_PASSWORD': 'short'})
    assert weak.returncode == 2
    assert 'at least 10 characters' in weak.stderr
    missing = run_main('create-admin', 'ops@example.com', env=cli_env, stdin='')
    assert missing.returncode == 2
    assert 'MINEGNK_ADMIN_PASSWORD' in missing.stderr


def test_production_mode_refuses_placeholder_secrets(cli_env):
    result = run_main('migrate', env={**cli_env, 'MINEGNK_ENV': 'production', 'MINEGNK_STORAGE_SECRET': 'changethis',
                                      'MINEGNK_JWT_SECRET': 'changethis'})
    assert result.returncode != 0
    assert 'MINEGNK_STORAGE_SECRET must be set' in result.stderr
