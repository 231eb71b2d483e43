"""The daily digest (once per local day at the chosen hour, on the chosen channels) and rendering in Russian."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from minegnk.db.engine import session_scope
from minegnk.db.models import Notification, NotificationOutbox, User
from minegnk.notify.render import render
from minegnk.services import digest


def test_digest_is_written_once_per_local_day_at_the_chosen_hour(database):
    with session_scope() as db:
        db.add(User(email='early@example.com', password_hash='x', timezone='Asia/Tokyo', digest_hour=7,
                    notification_prefs={'daily_digest': ['in_app', 'email']}))
        db.add(User(email='none@example.com', password_hash='x', notification_prefs={'daily_digest': []}))
    at_7_in_tokyo = datetime(2026, 11, 24, 22, 15, tzinfo=UTC)
    with session_scope() as db:
        assert digest.write_due_digests(db, datetime(2026, 11, 24, 21, 0, tzinfo=UTC)) == 0  # 06:00 there
        assert digest.write_due_digests(db, at_7_in_tokyo) == 1
        assert digest.write_due_digests(db, at_7_in_tokyo.replace(minute=50)) == 0  # same local day
    with session_scope() as db:
        note = db.scalar(select(Notification))
        assert note.kind == 'daily_digest' and note.params['date'] == '2026-11-25'
        assert note.params == {'date': '2026-11-25', 'ngonka': 0, 'open_requests': 0, 'nodes': []}
        assert db.scalar(select(NotificationOutbox.channel)) == 'email'


def test_notifications_render_in_the_readers_language_and_escape_html():
    text = render('request_comment', {'id': 7, 'body': '<script>alert(1)</script>'}, 'ru', link='/requests',
                  base_url='https://portal.example')
    assert text.title == 'Поддержка ответила по заявке №7'
    assert '<script>' not in text.html and '&lt;script&gt;' in text.html
    assert text.link == 'https://portal.example/requests'
    down = render('node_down', {'node': 'rig-1', 'old': 'healthy', 'new': 'offline', 'reasons': [
        {'code': 'probe_failed', 'params': {'consecutive_failures': 2, 'error': 'timeout'}}]}, 'en')
    assert down.title == 'rig-1 is offline'
    assert down.lines == ('rig-1 changed from healthy to offline.',
                          'Why: did not answer 2 health checks in a row (last error: timeout)')


@pytest.mark.parametrize(('language', 'line'), [
    ('en', 'rig-1 recovered; it was jailed.'), ('ru', 'Нода rig-1 восстановилась; до этого был статус «в тюрьме (jailed)».')])
def test_statuses_inside_sentences_are_lower_case_words(language, line):
    recovered = render('node_recovered', {'node': 'rig-1', 'old': 'jailed', 'new': 'healthy'}, language)
    assert recovered.lines == (line,)
    down = render('node_down', {'node': 'rig-1', 'old': 'unhealthy', 'new': 'jailed', 'reasons': []}, language)
    assert down.lines == ({'en': 'rig-1 changed from unhealthy to jailed.',
                           'ru': 'rig-1: статус изменился с «проблемы» на «в тюрьме (jailed)».'}[language],)


@pytest.mark.parametrize(('status', 'english', 'russian'), [
    ('offline', 'rig-1 is offline', 'Нода rig-1 не в сети'),
    ('jailed', 'rig-1 was jailed', 'Нода rig-1 заблокирована (jailed)'),
    ('unhealthy', 'rig-1 is unhealthy', 'У ноды rig-1 проблемы'),
    ('inactive', 'rig-1 is inactive', 'Нода rig-1 неактивна'),
    ('healthy', 'rig-1 is healthy', 'Нода rig-1 работает'),
    ('unknown', 'rig-1: status unknown', 'Нода rig-1: статус неизвестен'),
    (None, 'rig-1: status unknown', 'Нода rig-1: статус неизвестен'),
    ('something-new', 'rig-1: status unknown', 'Нода rig-1: статус неизвестен'),
])
def test_a_down_title_is_a_whole_sentence_per_status(status, english, russian):
    """Not the badge label spliced into a template ("rig-1 is Jailed"): each status has its own sentence, so Russian
    can inflect it. The same title is the email subject, the in-app heading and a quiet-hours summary line."""
    params = {'node': 'rig-1', 'old': 'healthy', 'new': status, 'reasons': []}
    for language, title in (('en', english), ('ru', russian)):
        down = render('node_down', params, language, link='/nodes/rig-1', base_url='https://portal.example')
        assert down.title == title
        assert down.text.split('\n')[0] == title  # the email text part, Telegram and Discord start with it
        assert f'<h2 style="font-family:sans-serif">{title}</h2>' in down.html
        summary = render('quiet_summary', {'items': [{'kind': 'node_down', 'params': params}]}, language)
        assert summary.items[0].title == title and f'• {title}' in summary.text


@pytest.mark.parametrize(('language', 'recovered', 'flapping', 'now'), [
    ('en', 'rig-1 is healthy again', 'rig-1 keeps changing state', 'Now: Jailed'),
    ('ru', 'Нода rig-1 снова работает', 'Нода rig-1 постоянно меняет состояние', 'Сейчас: В тюрьме (jailed)'),
])
def test_recovery_and_flapping_titles_and_status_labels_after_a_colon(language, recovered, flapping, now):
    assert render('node_recovered', {'node': 'rig-1', 'old': 'offline', 'new': 'healthy'}, language).title == recovered
    flap = render('node_flapping', {'node': 'rig-1', 'old': 'healthy', 'new': 'jailed', 'status': 'jailed',
                                    'count': 4, 'minutes': 30}, language)
    assert flap.title == flapping
    assert flap.lines[-1] == now  # "label: value" keeps the badge's capitalised label
    assert flap.lines[0].startswith({'en': 'rig-1 changed state 4 times', 'ru': 'Нода rig-1 сменила состояние 4 раз'}[
        language])
    digest_lines = render('daily_digest', {'date': '2026-11-25', 'ngonka': 0, 'open_requests': 0, 'nodes': [
        {'node': 'rig-1', 'status': 'inactive'}]}, language).lines
    assert digest_lines[0] == {'en': 'rig-1: Inactive', 'ru': 'rig-1: Неактивна'}[language]
