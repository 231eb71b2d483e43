"""Forgotten password: ask for a link (/password/forgot) and choose a new password with it (/password/reset)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import ui

from minegnk.components.db_work import in_db
from minegnk.components.frame import frame
from minegnk.components.locale import _
from minegnk.components.request_ui import error_message
from minegnk.services import password_reset
from minegnk.services.accounts import AccountError
from minegnk.services.sessions import SessionUser
from minegnk.web import auth


def register() -> None:
    @auth.protected_page('/password/forgot', public=True)
    async def forgot(request: Request, user: SessionUser | None) -> object:
        if user is not None:
            return RedirectResponse('/profile', status_code=303)
        ip = request.client.host if request.client else None
        with frame(_('Forgot password'), None):
            with ui.card().classes('w-full max-w-sm mx-auto mt-4 sm:mt-12 p-6 gap-3'):
                ui.label(_('Reset your password')).classes('text-xl font-semibold')
                ui.label(_('Enter the email you sign in with. We send a link to choose a new password.')) \
                    .classes('text-sm text-gray-600')
                email = ui.input(_('Email')).props('type=email autocomplete=username outlined').classes('w-full') \
                    .mark('email')
                error = ui.label().classes('text-negative text-sm').mark('forgot-error')
                error.set_visibility(False)
                done = ui.label(_('If an account exists for this email, a link to reset the password is on its way. '
                                  'It works once and for 30 minutes. Check your spam folder too.')) \
                    .classes('text-sm text-positive').mark('forgot-sent')
                done.set_visibility(False)

                async def submit() -> None:
                    error.set_visibility(False)
                    button.props('loading')
                    try:  # True once done; None only while the app shuts down
                        sent = await in_db(lambda db: password_reset.request_reset(db, email.value, ip=ip) or True)
                    except AccountError as e:
                        error.set_text(error_message(e.code))
                        error.set_visibility(True)
                        return
                    finally:
                        button.props(remove='loading')
                    if sent:
                        done.set_visibility(True)

                email.on('keydown.enter', submit)
                button = ui.button(_('Send the link'), on_click=submit).classes('w-full').mark('forgot-submit')
                ui.link(_('Back to log in'), auth.LOGIN_PATH).classes('text-sm').mark('to-login')

    @auth.protected_page('/password/reset', public=True)
    async def reset(request: Request, user: SessionUser | None, token: str = '') -> None:
        ip = request.client.host if request.client else None
        valid = await in_db(password_reset.token_valid, token)
        with frame(_('Choose a new password'), user):
            with ui.card().classes('w-full max-w-sm mx-auto mt-4 sm:mt-12 p-6 gap-3'):
                ui.label(_('Choose a new password')).classes('text-xl font-semibold')
                if not valid:
                    ui.label(_('This link is invalid, already used or expired.')).classes('text-negative') \
                        .mark('reset-invalid')
                    ui.link(_('Ask for a new link'), '/password/forgot').mark('to-forgot')
                    return
                new = ui.input(_('New password'), password=True, password_toggle_button=True) \
                    .props('outlined autocomplete=new-password').classes('w-full').mark('new-password')
                ui.label(_('At least 10 characters; not your email or a common password.')) \
                    .classes('text-xs text-gray-500 -mt-2')
                repeat = ui.input(_('Repeat the new password'), password=True) \
                    .props('outlined autocomplete=new-password').classes('w-full').mark('repeat-password')
                ui.label(_('Setting a new password signs you out everywhere.')).classes('text-sm text-gray-600')
                error = ui.label().classes('text-negative text-sm').mark('reset-error')
                error.set_visibility(False)
                done = ui.column().classes('gap-2')

                async def submit() -> None:
                    error.set_visibility(False)
                    if new.value != repeat.value:
                        error.set_text(error_message('passwords_differ'))
                        error.set_visibility(True)
                        return
                    try:
                        result = await in_db(password_reset.reset_password, token, new.value, ip=ip)
                    except AccountError as e:
                        error.set_text(_('This link is invalid, already used or expired.')
                                       if e.code == 'reset_link_invalid' else error_message(e.code))
                        error.set_visibility(True)
                        return
                    if result is None:
                        return
                    button.disable()
                    with done:
                        ui.label(_('Your password has been changed. Log in with the new one.')) \
                            .classes('text-positive').mark('reset-done')
                        ui.link(_('Log in'), auth.LOGIN_PATH).mark('to-login')

                button = ui.button(_('Set the new password'), on_click=submit).classes('w-full').mark('reset-submit')
