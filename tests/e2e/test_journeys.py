"""The five end-to-end journeys of issue 7 in headless Chromium, each against its own `python main.py` (PostgreSQL,
scheduler on) reading a real simulator and mailing through a loopback SMTP server (tests/e2e/journey_setup.py).

Every page visited is saved as screenshots/journey-N-*.png for a person to look at.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import pytest

from tests.e2e.journey_setup import (ADMIN_EMAIL, CYCLE_DEADLINE, GNK_USD, HISTORY_EPOCHS, PASSWORD, PHONE,
                                     PUBLIC_URL, Customer, Journey, customer, journey,  # noqa: F401 - fixtures
                                     no_horizontal_scroll)

pytestmark = pytest.mark.browser

CYCLE_MS = CYCLE_DEADLINE * 1000
PHONE_WIDTH = PHONE['width']
NOT_RELOADED = 'window.__journeyMark === 1'  # set once on an open page; a reload or navigation would clear it
CHART_DRAWN = '''(selector) => {
  const el = document.querySelector(selector);
  return !!(el && el.data && el.data.length > 0 && el.querySelector('.main-svg .bars .point'));
}'''


def mark_open_page(page) -> None:  # noqa: ANN001
    page.evaluate('window.__journeyMark = 1')


def test_journey_1_newcomer_request_to_nodes_on_the_open_dashboard(journey: Journey, browser):
    email = 'newcomer@example.com'
    addresses = journey.healthy_addresses(2)

    # A newcomer registers and lands on an empty dashboard that explains what to do.
    home = browser.new_context(viewport={'width': 1280, 'height': 900})
    home.set_default_timeout(30_000)
    page = home.new_page()
    page.goto(f'{journey.url}/register')
    page.get_by_label('Email').fill(email)
    page.get_by_label('Password', exact=True).fill(PASSWORD)
    page.get_by_label('Repeat password').fill(PASSWORD)
    journey.shot(page, 'journey-1-01-register')
    page.get_by_role('button', name='Create account').click()
    page.wait_for_url(f'{journey.url}/')
    page.get_by_text('Welcome to MineGNK').wait_for()
    journey.shot(page, 'journey-1-02-empty-dashboard')

    # ... and asks for two H100s.
    page.get_by_role('button', name='Request a node').click()
    page.wait_for_url(f'{journey.url}/requests/new')
    page.get_by_label('GPU type').click()
    page.get_by_role('option', name=re.compile('NVIDIA H100')).click()
    page.get_by_label('Number of GPUs').fill('2')
    page.get_by_label('Comments (optional)').fill('Two H100 in Europe, please.')
    journey.shot(page, 'journey-1-03-request-form')
    page.get_by_role('button', name='Submit request').click()
    confirmation = page.get_by_text(re.compile(r'Request #\d+ has been submitted\.'))
    confirmation.wait_for()
    request_id = int(re.search(r'#(\d+)', confirmation.inner_text()).group(1))
    journey.shot(page, 'journey-1-04-request-submitted')

    # The dashboard stays open from here on; everything below must arrive on it without a reload.
    page.goto(f'{journey.url}/')
    page.get_by_text(f'Request #{request_id} created (pending)').wait_for()
    mark_open_page(page)

    # Support sees the request in the queue and starts work on it.
    admin = journey.log_in(browser, ADMIN_EMAIL)
    admin.goto(f'{journey.url}/admin/requests')
    card = admin.locator('.q-card', has_text=f'Request #{request_id} · 2 × H100')
    card.wait_for()
    assert email in card.inner_text() and 'Two H100 in Europe, please.' in card.inner_text()
    journey.shot(admin, 'journey-1-05-admin-queue')
    card.get_by_role('button', name='Start work').click()
    card.get_by_text('In progress', exact=True).wait_for()
    page.get_by_text(f'Request #{request_id}: pending → in progress').wait_for()

    # Support assigns two of the network's nodes to the customer, straight from the request.
    card.get_by_role('button', name='Assign nodes to this customer').click()
    admin.wait_for_url(re.compile(r'/admin/nodes/assign\?user_id=\d+'))
    bulk = admin.locator('.q-card', has_text='Many nodes')
    assert bulk.get_by_label('Customer').input_value() == email  # already chosen
    bulk.get_by_label('Addresses').fill('\n'.join(addresses))
    bulk.get_by_role('button', name='Assign all').click()
    bulk.get_by_text('2 assigned, 0 not assigned.').wait_for()
    journey.shot(admin, 'journey-1-06-admin-assigned')

    # ... and completes the request.
    admin.goto(f'{journey.url}/admin/requests')
    card = admin.locator('.q-card', has_text=f'Request #{request_id} · 2 × H100')
    card.get_by_role('button', name='Mark completed').click()
    admin.locator('.q-notification', has_text=f'Request #{request_id}: Completed').wait_for()
    card.wait_for(state='detached')  # the queue shows open requests only
    journey.shot(admin, 'journey-1-07-admin-completed')

    # The customer's open dashboard now shows both nodes with their status, and the request's progress.
    page.get_by_text('2 of 2 healthy').wait_for(timeout=CYCLE_MS)
    page.get_by_text(f'Request #{request_id}: in progress → completed').wait_for()
    for address in addresses:  # unlabelled nodes are named by a shortened address, linking to their page
        page.locator(f'a[href="/nodes/{address}"]').first.wait_for()
    open_requests = page.locator('.q-card', has_text='Open requests')
    assert re.search(r'Open requests\s*0', open_requests.inner_text())
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-earnings-chart')  # drawn in place, with bars
    assert page.evaluate(NOT_RELOADED), 'the dashboard was reloaded'
    journey.shot(page, 'journey-1-08-dashboard-with-nodes')

    # The request page tells the same story.
    page.goto(f'{journey.url}/requests')
    page.locator('.q-card', has_text=f'Request #{request_id}').get_by_text('Completed', exact=True).wait_for()
    journey.shot(page, 'journey-1-09-my-requests')
    home.close()
    admin.context.close()


def test_journey_2_node_tabs_chart_period_and_csv_export(journey: Journey, customer: Customer, browser):
    first, second = sorted(customer.nodes.values(), key=lambda n: n['label'])
    page = journey.log_in(browser, customer.email)
    page.get_by_text('2 of 2 healthy').wait_for()
    journey.shot(page, 'journey-2-01-dashboard')

    # My nodes, from the navigation drawer (open on a wide screen; the menu button closes and opens it).
    menu = page.locator('header .q-btn', has=page.locator('i', has_text='menu'))
    nav = page.locator('.q-drawer').get_by_role('link', name='My nodes')
    menu.click()
    nav.wait_for(state='hidden')
    menu.click()
    nav.click()
    page.wait_for_url(f'{journey.url}/nodes')
    page.get_by_text('2 of 2 nodes').wait_for()
    journey.shot(page, 'journey-2-02-my-nodes')

    # Node details: every tab.
    page.get_by_role('link', name=first['label']).click()
    page.wait_for_url(f'{journey.url}/nodes/{first["address"]}')
    page.get_by_text('Status: Healthy').wait_for()
    page.get_by_text('Everything the network checks is in order.').wait_for()
    page.get_by_text(first['address'], exact=True).wait_for()
    journey.shot(page, 'journey-2-03-node-overview')

    page.get_by_role('tab', name='Metrics').click()
    metrics = page.locator('.q-card', has_text='Inferences this epoch').last
    metrics.wait_for()
    assert f'{first["inference_count"]:,}' in metrics.inner_text()  # what the network reported for this epoch
    assert '?tab=metrics' in page.url
    journey.shot(page, 'journey-2-04-node-metrics')

    page.get_by_role('tab', name='History').click()
    page.wait_for_function(TIMELINE_DRAWN, arg='.minegnk-timeline-chart')
    page.get_by_text('Uptime per hour').wait_for()
    assert _timeline_days(page) == pytest.approx(1, abs=0.01)
    journey.shot(page, 'journey-2-05-node-history-24h')
    for period, days in (('7 days', 7), ('30 days', 30)):
        page.get_by_role('tab', name='History').click()  # (no-op) keeps the panel in view
        page.locator('.q-btn-toggle').get_by_role('button', name=period).click()
        page.wait_for_function(f'''() => {{
            const el = document.querySelector('.minegnk-timeline-chart');
            if (!el || !el.layout || !el.layout.xaxis || !el.layout.xaxis.range) return false;
            const [a, b] = el.layout.xaxis.range.map(v => new Date(v).getTime());
            return Math.abs((b - a) / 86400000 - {days}) < 0.01;
        }}''')
        page.get_by_text('Uptime per day').wait_for()
        journey.shot(page, f'journey-2-06-node-history-{days}d')
    epochs = page.locator('.q-table', has_text='Reward coins (GNK)')
    epochs.wait_for()
    assert epochs.locator('tbody tr').count() == 10  # the newest ten of thirty settled epochs, paged

    page.get_by_role('tab', name='Jobs').click()
    page.get_by_text('Recent inference jobs').wait_for()
    journey.shot(page, 'journey-2-07-node-jobs')

    # Export the node list and check it against the simulated chain's own ledger.
    page.get_by_role('link', name='← My nodes').click()
    page.wait_for_url(f'{journey.url}/nodes')
    page.get_by_text('2 of 2 nodes').wait_for()
    with page.expect_download() as download:
        page.get_by_role('button', name='Export CSV').click()
    assert re.fullmatch(r'minegnk-nodes-\d{8}-\d{4}\.csv', download.value.suggested_filename)
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith('\ufeff'.encode())  # spreadsheets read the UTF-8 labels correctly
    rows = list(csv.DictReader(io.StringIO(raw.decode('utf-8-sig'))))
    assert {row['Address'] for row in rows} == set(customer.addresses)
    settled = list(range(journey.sim.sim.start_epoch - HISTORY_EPOCHS, journey.sim.sim.start_epoch))
    for row in rows:
        node = customer.nodes[row['Address']]
        assert row['Label'] == node['label'] and row['Status'] == 'healthy'
        assert row['GPU type'] == 'H100' and row['GPU count'] == '8'
        assert int(row['Settled epochs']) == len(settled)
        expected = Decimal(journey.settled_ngonka(row['Address'], settled)) / 10**9
        assert re.fullmatch(r'\d+\.\d{9}', row['Total earned (GNK)'])  # every ngonka, no rounding
        assert Decimal(row['Total earned (GNK)']) == expected
        assert Decimal(row['Rate (1 GNK in USD)']) == GNK_USD and row['Rate source'] == 'manual'
        assert Decimal(row['Total earned (USD)']) == (expected * GNK_USD).quantize(Decimal('0.01'), ROUND_HALF_EVEN)
    page.context.close()


TIMELINE_DRAWN = '''(selector) => {
  const el = document.querySelector(selector);
  return !!(el && el.data && el.data.length > 0 && el.querySelector('.main-svg'));
}'''


def _timeline_days(page) -> float:  # noqa: ANN001
    return page.evaluate('''() => {
        const [a, b] = document.querySelector('.minegnk-timeline-chart').layout.xaxis.range
            .map(v => new Date(v).getTime());
        return (b - a) / 86400000;
    }''')


BELL_SHOWS = """(count) => {
    const button = [...document.querySelectorAll('header .q-btn')]
        .find(b => b.querySelector('i') && b.querySelector('i').textContent.trim() === 'notifications');
    const badge = button && button.querySelector('.q-badge');
    const shown = badge && badge.offsetParent !== null ? parseInt(badge.textContent) : 0;
    return shown === count;
}"""


def bell(page):  # noqa: ANN001, ANN201
    return page.locator('header .q-btn', has=page.locator('i', has_text='notifications'))


def bell_count(page) -> int:  # noqa: ANN001
    """The unread count on the header's bell (0 when the badge is hidden)."""
    badge = bell(page).locator('.q-badge')
    return int(badge.inner_text()) if badge.count() and badge.is_visible() else 0


def test_journey_3_jail_and_recovery_on_the_pages_in_the_bell_and_by_email(journey: Journey, customer: Customer,
                                                                          browser):
    node = next(n for n in customer.nodes.values() if n['label'] == 'Frankfurt H100 #1')
    address, name = node['address'], node['label']

    # The customer wants recoveries by email too (the default is in the portal only).
    dashboard = journey.log_in(browser, customer.email)
    dashboard.goto(f'{journey.url}/profile')
    recovery_email = dashboard.get_by_role('checkbox', name='A node recovers: Email')
    assert recovery_email.get_attribute('aria-checked') == 'false'
    recovery_email.click()
    dashboard.get_by_role('button', name='Save notification settings').click()
    dashboard.get_by_text('Notification settings saved.').wait_for()
    journey.shot(dashboard, 'journey-3-01-profile-notifications')

    dashboard.goto(f'{journey.url}/')
    dashboard.get_by_text('2 of 2 healthy').wait_for()
    # The "node assigned" notices so far. The bell loads its count after the page connects, so the cards can be
    # drawn before it: read it once it shows (there is at least one unread notice), not before.
    bell(dashboard).locator('.q-badge').wait_for(state='visible')
    unread = bell_count(dashboard)
    assert unread >= 2, unread
    mark_open_page(dashboard)
    node_page = dashboard.context.new_page()
    node_page.goto(f'{journey.url}/nodes/{address}')
    node_page.get_by_text('Status: Healthy').wait_for()
    mark_open_page(node_page)
    journey.shot(dashboard, 'journey-3-02-dashboard-healthy')

    # The chain jails the node: the scheduler's next cycle (at most one interval away) shows it on the open pages.
    journey.control('incident', {'address': address, 'kind': 'jail'})
    dashboard.get_by_text('1 of 2 healthy').wait_for(timeout=CYCLE_MS)
    dashboard.get_by_text('1 needs attention').wait_for()
    node_page.get_by_text('Status: Jailed').wait_for()
    node_page.get_by_text(re.compile(r'Jailed until ')).wait_for()
    dashboard.wait_for_function(BELL_SHOWS, arg=unread + 1)
    node_page.wait_for_function(BELL_SHOWS, arg=unread + 1)
    journey.shot(dashboard, 'journey-3-03-dashboard-jailed')
    journey.shot(node_page, 'journey-3-04-node-jailed')

    mail = journey.wait_for_email(f'{name} was jailed')
    assert mail['To'] == customer.email
    plain = mail.get_body(('plain',)).get_content()
    assert f'{name} changed from healthy to jailed.' in plain and f'{PUBLIC_URL}/nodes/{address}' in plain

    # The node is unjailed; support's "Refresh data now" runs the next cycle at once.
    admin = journey.log_in(browser, ADMIN_EMAIL)
    journey.control('incident', {'address': address, 'kind': 'unjail'})
    journey.refresh_now(admin)
    dashboard.get_by_text('2 of 2 healthy').wait_for()
    dashboard.get_by_text('nothing needs attention').wait_for()
    node_page.get_by_text('Status: Healthy').wait_for()
    dashboard.wait_for_function(BELL_SHOWS, arg=unread + 2)
    journey.shot(node_page, 'journey-3-05-node-recovered')
    journey.wait_for_email(f'{name} is healthy again')

    # The notification centre (a second tab; the dashboard stays open) lists both.
    centre = dashboard.context.new_page()
    centre.goto(f'{journey.url}/notifications')
    centre.get_by_text(f'{name} is healthy again', exact=True).wait_for()
    centre.get_by_text(f'{name} was jailed', exact=True).wait_for()
    journey.shot(centre, 'journey-3-06-notifications')

    # Once: another cycle with the node still healthy tells nobody anything new.
    journey.refresh_now(admin)
    outbox = journey.wait_for_outbox_delivered()
    assert outbox.get('failed', 0) == 0 and outbox.get('dead', 0) == 0, outbox
    assert len(journey.emails(f'{name} was jailed')) == 1
    assert len(journey.emails(f'{name} is healthy again')) == 1
    assert bell_count(dashboard) == unread + 2
    centre.reload()
    centre.get_by_text(f'{name} is healthy again', exact=True).wait_for()
    assert centre.get_by_text(f'{name} is healthy again', exact=True).count() == 1
    assert centre.get_by_text(f'{name} was jailed', exact=True).count() == 1
    assert dashboard.evaluate(NOT_RELOADED) and node_page.evaluate(NOT_RELOADED), 'a page was reloaded'
    dashboard.context.close()
    admin.context.close()


# English words of the interface that must not be left on a Russian page (model names and addresses aside).
ENGLISH_UI = re.compile(r'\b(Dashboard|Healthy|Status|Earnings|Request|Profile|Overview|History|Settled|Pending|'
                        r'per day|Records per page|Rows per page|Loading|Nodes|nodes|Save|Total|Currency)\b')
EUR_AMOUNT = re.compile(r'\d,\d\d\s€')  # 2 436,95 € in Russian


def main_text(page) -> str:  # noqa: ANN001
    """What the page shows (header, drawer and content), as the user reads it."""
    return page.locator('body').inner_text()


def assert_russian_in_eur(page, *expected: str) -> None:  # noqa: ANN001
    for text in expected:
        page.get_by_text(text).first.wait_for()
    shown = main_text(page)
    untranslated = ENGLISH_UI.findall(shown)
    assert not untranslated, f'English left on {page.url}: {sorted(set(untranslated))}'
    assert EUR_AMOUNT.search(shown), f'no euro amount on {page.url}'
    assert '$' not in shown and 'USD' not in shown, f'dollars left on {page.url}'


ENGLISH_MONTH = re.compile(r'\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b')
RUSSIAN_MONTH = re.compile(r'(янв|февр|мар|апр|мая|июн|июл|авг|сент|окт|нояб|дек)')


def assert_chart_dates_in_russian(page, selector: str) -> None:  # noqa: ANN001
    ticks = ' '.join(page.locator(f'{selector} .xtick text').all_text_contents())
    assert RUSSIAN_MONTH.search(ticks) and not ENGLISH_MONTH.search(ticks), ticks


def test_journey_4_russian_and_euro_on_every_page(journey: Journey, customer: Customer, browser):
    created = journey.api.post('/api/v1/support/requests',
                               headers={**customer.headers, 'Idempotency-Key': 'journey-4-request-0001'},
                               json={'gpu_type': 'H200', 'quantity': 4, 'comments': 'Для второй площадки'})
    assert created.status_code in (200, 201), created.text
    request_id = created.json()['id']
    node = next(n for n in customer.nodes.values() if n['label'] == 'Frankfurt H100 #1')
    page = journey.log_in(browser, customer.email)
    page.get_by_text('2 of 2 healthy').wait_for()

    # Language from the user menu (the page reloads in Russian), currency on the profile page.
    page.locator('header .q-btn', has=page.locator('i', has_text='account_circle')).click()
    page.get_by_text('Русский', exact=True).click()
    page.get_by_text('2 из 2 исправны').wait_for()
    assert page.evaluate('document.documentElement.lang') == 'ru'
    page.get_by_role('link', name='Профиль').click()
    page.wait_for_url(f'{journey.url}/profile')
    page.get_by_label('Валюта').click()
    page.get_by_role('option', name='EUR', exact=True).click()
    page.get_by_role('button', name='Сохранить настройки', exact=True).click()
    page.get_by_text('Настройки сохранены.').wait_for()
    journey.shot(page, 'journey-4-01-profile')
    page.reload()
    page.get_by_text('Профиль').first.wait_for()
    assert page.locator('.q-field', has_text='Валюта').inner_text().split() == ['Валюта', 'EUR', 'arrow_drop_down']
    shown = main_text(page)
    assert not ENGLISH_UI.findall(shown), sorted(set(ENGLISH_UI.findall(shown)))

    # Every page the customer uses: Russian words, euro amounts, no English left over.
    page.goto(f'{journey.url}/')
    assert_russian_in_eur(page, '2 из 2 исправны', 'Доход за последние 30 дней', 'Последние события')
    page.wait_for_function(CHART_DRAWN, arg='.minegnk-earnings-chart')
    assert_chart_dates_in_russian(page, '.minegnk-earnings-chart')
    journey.shot(page, 'journey-4-02-dashboard')

    page.goto(f'{journey.url}/nodes')
    assert_russian_in_eur(page, 'Мои ноды', 'Экспорт в CSV', node['label'])
    journey.shot(page, 'journey-4-03-nodes')

    page.goto(f'{journey.url}/nodes/{node["address"]}')
    assert_russian_in_eur(page, 'Статус: Работает', 'Всё, что проверяет сеть, в порядке.')
    journey.shot(page, 'journey-4-04-node-overview')
    for tab, expected in (('Метрики', 'Инференсов в этой эпохе'), ('История', 'История состояния')):
        page.get_by_role('tab', name=tab).click()
        page.get_by_text(expected).first.wait_for()
        journey.shot(page, f'journey-4-05-node-{tab}')
    shown = main_text(page)
    assert not ENGLISH_UI.findall(shown), sorted(set(ENGLISH_UI.findall(shown)))  # Quasar's own table texts too
    page.wait_for_function(TIMELINE_DRAWN, arg='.minegnk-timeline-chart')
    assert_chart_dates_in_russian(page, '.minegnk-timeline-chart')

    page.goto(f'{journey.url}/requests')
    page.get_by_text(f'Заявка №{request_id}').first.wait_for()
    page.get_by_text('Ожидает').first.wait_for()
    shown = main_text(page)
    assert not ENGLISH_UI.findall(shown), sorted(set(ENGLISH_UI.findall(shown)))
    journey.shot(page, 'journey-4-06-requests')

    page.goto(f'{journey.url}/notifications')
    page.get_by_text('Уведомления').first.wait_for()
    shown = main_text(page)
    assert not ENGLISH_UI.findall(shown), sorted(set(ENGLISH_UI.findall(shown)))
    journey.shot(page, 'journey-4-07-notifications')
    page.context.close()


def phone_check(journey: Journey, page, path: str, ready: str, action, name: str, *,  # noqa: ANN001
                drawer: bool = False) -> None:
    """Open ``path`` at phone width: its content loads, its main action is on screen (scrolled to), the page does
    not scroll sideways, and (``drawer``) the navigation drawer opens from the header and closes again."""
    page.goto(f'{journey.url}{path}')
    page.get_by_text(ready).first.wait_for()
    target = action(page)
    target.scroll_into_view_if_needed()
    target.wait_for()
    box = target.bounding_box()
    assert box and box['x'] >= 0 and box['x'] + box['width'] <= PHONE_WIDTH + 0.5, f'{path}: main action off screen'
    assert target.is_enabled(), f'{path}: main action disabled'
    width = page.evaluate('document.documentElement.scrollWidth')
    assert no_horizontal_scroll(page), f'{path} scrolls sideways: {width} px'
    journey.shot(page, f'journey-5-{name}')
    if drawer:
        page.locator('header .q-btn', has=page.locator('i', has_text='menu')).click()
        link = page.locator('.q-drawer').get_by_role('link', name='My requests')
        link.wait_for()
        box = link.bounding_box()
        assert box and box['x'] + box['width'] <= PHONE_WIDTH, f'{path}: drawer wider than the phone'
        journey.shot(page, f'journey-5-{name}-drawer')
        page.locator('.q-drawer__backdrop').click(position={'x': PHONE_WIDTH - 20, 'y': 400})
        link.wait_for(state='hidden')
        assert no_horizontal_scroll(page)


def test_journey_5_every_page_usable_at_phone_width(journey: Journey, customer: Customer, browser):
    created = journey.api.post('/api/v1/support/requests',
                               headers={**customer.headers, 'Idempotency-Key': 'journey-5-request-0001'},
                               json={'gpu_type': 'B200', 'quantity': 8, 'comments': 'A rack of eight, please.'})
    assert created.status_code in (200, 201), created.text
    node = next(n for n in customer.nodes.values() if n['label'] == 'Frankfurt H100 #1')
    phone = {'viewport': PHONE, 'is_mobile': True, 'has_touch': True}

    # Public pages first.
    context = browser.new_context(**phone)
    context.set_default_timeout(30_000)
    page = context.new_page()
    phone_check(journey, page, '/login', 'Log in to MineGNK', lambda p: p.get_by_role('button', name='Log in'),
                '01-login')
    phone_check(journey, page, '/register', 'Create your MineGNK account',
                lambda p: p.get_by_role('button', name='Create account'), '02-register')
    context.close()

    page = journey.log_in(browser, customer.email, **phone)
    button = lambda name: lambda p: p.get_by_role('button', name=name, exact=True).first  # noqa: E731
    customer_pages = [
        ('/', '2 of 2 healthy', lambda p: p.get_by_role('link', name=node['label']).first, '10-dashboard'),
        ('/nodes', '2 of 2 nodes', button('Export CSV'), '11-nodes'),
        (f'/nodes/{node["address"]}', 'Status: Healthy', lambda p: p.get_by_role('tab', name='Jobs'), '12-node'),
        ('/requests', 'A rack of eight, please.', button('Request a node'), '13-requests'),
        ('/requests/new', 'Monthly budget', button('Submit request'), '14-request-form'),
        ('/profile', 'Contacts and preferences', button('Save preferences'), '15-profile'),
        ('/notifications', 'Support assigned', button('Mark all read'), '16-notifications'),
        ('/notifications/settings', 'Quiet hours', button('Save'), '17-notification-settings'),
    ]
    for i, (path, ready, action, name) in enumerate(customer_pages):
        phone_check(journey, page, path, ready, action, name, drawer=i == 0)
    page.goto(f'{journey.url}/nodes/{node["address"]}?tab=history')  # the widest content: charts and a table
    page.wait_for_function(TIMELINE_DRAWN, arg='.minegnk-timeline-chart')
    page.get_by_text('Reward coins (GNK)').wait_for()
    assert no_horizontal_scroll(page)
    journey.shot(page, 'journey-5-12-node-history')
    page.context.close()

    admin = journey.log_in(browser, ADMIN_EMAIL, **phone)
    admin_pages = [
        ('/admin', 'Administration', lambda p: p.locator('main, .q-page, .nicegui-content').get_by_role(
            'link', name='Requests').first, '20-admin'),
        ('/admin/users', customer.email, lambda p: p.get_by_label('Search by email'), '21-users'),
        (f'/admin/users/{customer.user_id}', 'Frankfurt H100 #2', button('Assign nodes'), '22-user'),
        ('/admin/nodes', 'Frankfurt H100 #2', button('Assign nodes'), '23-nodes'),
        ('/admin/nodes/assign', 'Many nodes', button('Assign'), '24-assign'),
        ('/admin/requests', 'A rack of eight, please.', button('Start work'), '25-requests'),
        ('/admin/catalog', 'NVIDIA B300', lambda p: p.get_by_text('Add a GPU type'), '26-catalog'),
        ('/admin/rates', '0.85', button('Save rate'), '27-rates'),
        ('/admin/system', 'Upstream health', button('Refresh data now'), '28-system'),
        ('/admin/audit', 'node.assign', lambda p: p.get_by_label('Actor email'), '29-audit'),
    ]
    for i, (path, ready, action, name) in enumerate(admin_pages):
        phone_check(journey, admin, path, ready, action, name, drawer=i == 0)
        if path in ('/admin/users', '/admin/nodes'):  # two rows each, paged on the server
            admin.locator('.q-table__bottom', has_text='1-2 of 2').wait_for()
    admin.context.close()
