"""Command line: ``python main.py [serve|migrate|create-admin EMAIL] [--demo]``."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from minegnk.config import Settings, SettingsError, get_settings

log = logging.getLogger('minegnk')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog='python main.py', description='MineGNK: monitoring portal for Gonka nodes.')
    parser.add_argument('--demo', action='store_true',
                        help='run offline against the built-in network simulator with demo accounts and nodes')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND')
    commands.add_parser('serve', help='start the web portal (the default)')
    commands.add_parser('migrate', help='upgrade the database schema to the newest version and exit')
    admin = commands.add_parser('create-admin', help='create an administrator (password from MINEGNK_ADMIN_PASSWORD '
                                                     'or an interactive prompt); running it again changes nothing')
    admin.add_argument('email')
    inspect = commands.add_parser('inspect', help='print the normalised view of any node address from the configured '
                                                  'upstreams (support tool)')
    inspect.add_argument('address')
    inspect.add_argument('--json', action='store_true', help='one JSON object with stable keys; amounts in ngonka')
    inspect.add_argument('--epochs', type=int, default=10, help='settled epochs to list (default 10)')
    return parser


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format='%(asctime)s %(levelname)s %(name)s: %(message)s')
    logging.getLogger('alembic.runtime.plugins').setLevel(logging.WARNING)
    logging.getLogger('httpx').setLevel(logging.WARNING)  # one line per upstream request is noise


def load_settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as e:
        sys.exit(f'Configuration error: {e}')
    except ValueError as e:  # pydantic validation of a MINEGNK_* value
        sys.exit(f'Configuration error: {e}')


def cmd_migrate(settings: Settings) -> int:
    from minegnk.db.migrate import upgrade_to_head
    upgrade_to_head(settings.effective_database_url)
    print(f'Database is at the newest schema ({_safe_url(settings.effective_database_url)}).')
    return 0


def cmd_create_admin(settings: Settings, email: str) -> int:
    from minegnk.db.engine import init_database, session_scope
    from minegnk.db.migrate import upgrade_to_head
    from minegnk.services import accounts
    password = os.environ.get('MINEGNK_ADMIN_PASSWORD') or settings.admin_password
    if not password:
        if not sys.stdin.isatty():
            print('Set MINEGNK_ADMIN_PASSWORD or run this command in a terminal to be asked for the password.',
                  file=sys.stderr)
            return 2
        password = getpass.getpass('Password for the new admin: ')
        if password != getpass.getpass('Repeat the password: '):
            print('The passwords do not match.', file=sys.stderr)
            return 2
    upgrade_to_head(settings.effective_database_url)
    init_database(settings.effective_database_url)
    try:
        with session_scope() as db:
            user, created = accounts.ensure_admin(db, email, password)
            email = user.email
    except accounts.AccountError as e:
        from minegnk.components.messages import ERROR_MESSAGES
        print(f'Cannot create the admin: {ERROR_MESSAGES.get(e.code, e.code).format(minutes=15)}', file=sys.stderr)
        return 2
    print(f'Admin {email} created.' if created else f'{email} already exists and is an admin; nothing else changed.')
    return 0


def bootstrap_admin_from_env(settings: Settings) -> None:
    """Containers: MINEGNK_ADMIN_EMAIL + MINEGNK_ADMIN_PASSWORD create the first admin at start (idempotent)."""
    if not (settings.admin_email and settings.admin_password):
        return
    from minegnk.db.engine import session_scope
    from minegnk.services import accounts
    try:
        with session_scope() as db:
            _, created = accounts.ensure_admin(db, settings.admin_email, settings.admin_password)
        if created:
            log.info('created admin %s from MINEGNK_ADMIN_EMAIL', settings.admin_email)
    except accounts.AccountError as e:
        log.warning('MINEGNK_ADMIN_EMAIL/MINEGNK_ADMIN_PASSWORD not used: %s', e.code)


def cmd_inspect(settings: Settings, address: str, *, as_json: bool, epochs: int) -> int:
    import asyncio
    import json

    from minegnk.jobs.inspect import inspect_address, render_text
    from minegnk.services.addresses import InvalidAddress
    try:
        report = asyncio.run(inspect_address(settings, address, epochs=epochs))
    except InvalidAddress as e:
        print(f'Invalid address: {e.message}', file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2, sort_keys=True) if as_json else render_text(report))
    return 0 if report['reachable'] else 1


def serve(settings: Settings, *, demo: bool = False) -> None:
    from nicegui import app, ui

    from minegnk.web.app import run_kwargs, setup
    demo_run = None
    if demo:
        from minegnk.demo import start_demo
        demo_run = start_demo(settings)
        settings = demo_run.settings
        app.on_shutdown(demo_run.stop)
    setup(settings, prime_cycles=1 if demo_run else 0)
    bootstrap_admin_from_env(settings)
    if demo_run is not None:
        demo_run.seed()
    ui.run(**run_kwargs(settings))


def _safe_url(url: str) -> str:
    if '@' in url and '://' in url:
        scheme, rest = url.split('://', 1)
        return f'{scheme}://***@{rest.split("@", 1)[1]}'
    return url


def main(argv: list[str] | None = None) -> int:
    if os.environ.get('NICEGUI_USER_SIMULATION'):  # pytest's user fixture runs main.py per test
        serve(get_settings())
        return 0
    args = build_parser().parse_args(argv)
    settings = load_settings()
    configure_logging(settings)
    if args.command == 'migrate':
        return cmd_migrate(settings)
    if args.command == 'create-admin':
        return cmd_create_admin(settings, args.email)
    if args.command == 'inspect':
        return cmd_inspect(settings, args.address, as_json=args.json, epochs=args.epochs)
    serve(settings, demo=args.demo)
    return 0
