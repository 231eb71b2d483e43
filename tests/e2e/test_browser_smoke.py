"""A real Chromium registers, logs in, sees the shell and logs out against the portal run as `python main.py`."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_register_log_in_and_see_the_shell(portal, browser, screenshot):
    context = browser.new_context(viewport={'width': 1280, 'height': 800})
    page = context.new_page()
    console_errors: list[str] = []
    page.on('console', lambda message: console_errors.append(message.text) if message.type == 'error' else None)

    page.goto(f'{portal.url}/')
    page.wait_for_url('**/login**')
    page.get_by_role('link', name='Create one').click()
    page.wait_for_url('**/register**')
    page.get_by_label('Email').fill('browser.user@example.com')
    page.get_by_label('Password', exact=True).fill('correct horse battery')
    page.get_by_label('Repeat password').fill('correct horse battery')
    page.get_by_role('button', name='Create account').click()
    page.get_by_text('Welcome to MineGNK').wait_for(timeout=15_000)
    screenshot(page, 'foundation-dashboard-desktop')

    page.get_by_role('button').filter(has_text='account_circle').click()
    page.get_by_text('Log out').click()
    page.wait_for_url('**/login**')
    page.get_by_label('Email').fill('browser.user@example.com')
    page.get_by_label('Password', exact=True).fill('correct horse battery')
    page.get_by_role('button', name='Log in').click()
    page.get_by_text('Welcome to MineGNK').wait_for(timeout=15_000)
    assert not [e for e in console_errors if 'Content Security Policy' in e], console_errors
    context.close()


def test_phone_width_has_no_horizontal_scroll(portal, browser, screenshot):
    context = browser.new_context(viewport={'width': 375, 'height': 812}, is_mobile=True)
    page = context.new_page()
    page.goto(f'{portal.url}/login')
    page.get_by_text('Log in to MineGNK').wait_for()
    screenshot(page, 'foundation-login-phone')
    assert page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')
    context.close()
