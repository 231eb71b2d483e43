"""Login and registration pages."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, ui
from sqlalchemy.orm import Session

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _, current_language
from minegnk.components.messages import error_text
from minegnk.services import accounts
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def sign_in(work: Callable[[Session], accounts.LoginResult], *, button: ui.button, error: ui.label,
                  persistent: bool, target: str) -> None:
    """Run the login (or register + login) off the event loop, show its error, or hand the session to the browser."""
    error.set_visibility(False)
    button.props('loading')
    try:
        result = await in_db(work)
    except accounts.AccountError as e:
        error.set_text(error_text(e.code, retry_after=e.retry_after))
        error.set_visibility(True)
        return
    finally:
        button.props(remove='loading')
    if result is None:  # the app is shutting down
        return
    ticket = auth.issue_login_ticket(result.token, persistent, target)
    ui.navigate.to(f'/auth/complete?ticket={ticket}')


def register() -> None:
    app.add_api_route('/auth/complete', auth.complete_login, methods=['GET'], include_in_schema=False)

    @auth.protected_page(auth.LOGIN_PATH, public=True)
    async def login_page(request: Request, user: SessionUser | None, next: str = '/', signed_out: str = '') -> object:  # noqa: A002
        target = auth.safe_next(next)
        if user is not None:
            return RedirectResponse(target, status_code=303)
        ip, agent = client_ip(request), request.headers.get('user-agent')
        with frame(_('Log in'), None):
            with ui.card().classes('w-full max-w-sm mx-auto mt-4 sm:mt-12 p-6 gap-3'):
                ui.label(_('Log in to MineGNK')).classes('text-xl font-semibold')
                if signed_out:
                    ui.label(_('Your session has ended. Please log in again.')).classes('text-sm text-warning') \
                        .mark('signed-out')
                email = ui.input(_('Email')).props('type=email autocomplete=username outlined').classes('w-full') \
                    .mark('email')
                password = ui.input(_('Password'), password=True, password_toggle_button=True) \
                    .props('autocomplete=current-password outlined').classes('w-full').mark('password')
                remember = ui.checkbox(_('Keep me signed in for 30 days')).mark('remember')
                ui.link(_('Forgot password?'), '/password/forgot').classes('text-sm -mt-2').mark('to-forgot')
                error = ui.label().classes('text-negative text-sm').mark('login-error')
                error.set_visibility(False)

                async def submit() -> None:
                    def do_login(db: Session) -> accounts.LoginResult:
                        return accounts.login(db, email.value, password.value, persistent=remember.value, ip=ip,
                                              user_agent=agent)
                    await sign_in(do_login, button=button, error=error, persistent=remember.value, target=target)

                password.on('keydown.enter', submit)
                button = ui.button(_('Log in'), on_click=submit).classes('w-full').mark('login-submit')
                with ui.row().classes('w-full justify-center text-sm gap-1'):
                    ui.label(_('No account yet?'))
                    ui.link(_('Create one'), f'/register?next={quote(target, safe="")}' if target != '/' else '/register') \
                        .mark('to-register')

    @auth.protected_page('/register', public=True)
    async def register_page(request: Request, user: SessionUser | None, next: str = '/') -> object:  # noqa: A002
        target = auth.safe_next(next)
        if user is not None:
            return RedirectResponse(target, status_code=303)
        ip, agent = client_ip(request), request.headers.get('user-agent')
        with frame(_('Create account'), None):
            with ui.card().classes('w-full max-w-sm mx-auto mt-4 sm:mt-12 p-6 gap-3'):
                ui.label(_('Create your MineGNK account')).classes('text-xl font-semibold')
                email = ui.input(_('Email')).props('type=email autocomplete=username outlined').classes('w-full') \
                    .mark('email')
                password = ui.input(_('Password'), password=True, password_toggle_button=True) \
                    .props('autocomplete=new-password outlined').classes('w-full').mark('password')
                ui.label(_('At least 10 characters; not your email or a common password.')) \
                    .classes('text-xs text-gray-500 -mt-2')
                confirm = ui.input(_('Repeat password'), password=True) \
                    .props('autocomplete=new-password outlined').classes('w-full').mark('password-confirm')
                error = ui.label().classes('text-negative text-sm').mark('register-error')
                error.set_visibility(False)

                async def submit() -> None:
                    error.set_visibility(False)
                    if password.value != confirm.value:
                        error.set_text(error_text('passwords_differ'))
                        error.set_visibility(True)
                        return
                    language = current_language()

                    def do_register(db: Session) -> accounts.LoginResult:
                        accounts.register(db, email.value, password.value, language=language, ip=ip)
                        return accounts.login(db, email.value, password.value, ip=ip, user_agent=agent)
                    await sign_in(do_register, button=button, error=error, persistent=False, target=target)

                confirm.on('keydown.enter', submit)
                button = ui.button(_('Create account'), on_click=submit).classes('w-full').mark('register-submit')
                with ui.row().classes('w-full justify-center text-sm gap-1'):
                    ui.label(_('Already registered?'))
                    ui.link(_('Log in'), auth.login_url(target)).mark('to-login')
