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
    assert down.title == 'rig-1 is Offline'
    assert down.lines == ('rig-1 changed from healthy to offline.',
                          'Why: did not answer 2 health checks in a row (last error: timeout)')


@pytest.mark.parametrize(('language', 'line'), [
    ('en', 'rig-1 recovered; it was jailed.'), ('ru', 'rig-1 восстановился; был статус «в тюрьме (jailed)».')])
def test_statuses_inside_sentences_are_lower_case_words(language, line):
    recovered = render('node_recovered', {'node': 'rig-1', 'old': 'jailed', 'new': 'healthy'}, language)
    assert recovered.lines == (line,)
    down = render('node_down', {'node': 'rig-1', 'old': 'unhealthy', 'new': 'jailed', 'reasons': []}, language)
    assert down.lines == ({'en': 'rig-1 changed from unhealthy to jailed.',
                           'ru': 'rig-1: статус изменился с «проблемы» на «в тюрьме (jailed)».'}[language],)
