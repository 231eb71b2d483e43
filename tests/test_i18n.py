"""Translations: the Russian catalog is complete for every string the code marks, with the same placeholders."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from minegnk import i18n
from minegnk.i18n.extract import extract, missing
from minegnk.i18n.merge import merge

PLACEHOLDER = re.compile(r'\{(\w+)\}')


def test_code_has_translatable_strings():
    singles, _ = extract()
    assert 'Log in' in singles
    assert len(singles) > 40


def test_russian_catalog_is_complete():
    lacking, lacking_plural = missing('ru')
    assert lacking == [], f'untranslated: {lacking}'
    assert lacking_plural == []


def test_placeholders_survive_translation():
    catalog = i18n.catalog('ru')
    singles, plurals = extract()
    for msgid in singles:
        assert set(PLACEHOLDER.findall(catalog.get(msgid).string)) == set(PLACEHOLDER.findall(msgid)), msgid
    for pair in plurals:
        for form in catalog.get(pair).string:
            assert set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(pair[1])) | {'n'}, pair


def test_translate_and_fallback():
    assert i18n.translate('ru', 'Log in') == 'Войти'
    assert i18n.translate('en', 'Log in') == 'Log in'
    assert i18n.translate('ru', 'A string nobody translated') == 'A string nobody translated'
    assert i18n.translate('ru', 'Too many failed attempts for this account. Try again in {minutes} min.',
                          minutes=15).endswith('через 15 мин.')


@pytest.mark.parametrize(('header', 'expected'), [
    (None, 'en'), ('', 'en'), ('ru', 'ru'), ('ru-RU,ru;q=0.9,en-US;q=0.8', 'ru'), ('en-GB,en;q=0.9,ru;q=0.8', 'en'),
    ('de-DE,de;q=0.9', 'en'), ('de;q=0.9,ru;q=0.8', 'ru'), ('en;q=0.1,ru;q=0.9', 'ru'), ('*', 'en'), ('ru;q=bad', 'ru'),
])
def test_accept_language_negotiation(header, expected):
    assert i18n.negotiate(header) == expected


def test_merge_adds_new_translations_and_replaces_changed_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, 'LOCALE_DIR', tmp_path)
    merge('ru', {'Log in': 'Вход', ('{n} node', '{n} nodes'): ('{n} узел', '{n} узла', '{n} узлов')})
    merge('ru', {'Log in': 'Войти', 'Log out': 'Выйти',
                 ('{n} node', '{n} nodes'): ('{n} нода', '{n} ноды', '{n} нод')})
    with (tmp_path / 'ru' / 'LC_MESSAGES' / 'messages.po').open('rb') as f:
        catalog = read_po(f, locale='ru')
    assert catalog.get('Log in').string == 'Войти'  # changed text written, not the first one kept
    assert catalog.get('Log out').string == 'Выйти'
    assert catalog.get(('{n} node', '{n} nodes')).string == ('{n} нода', '{n} ноды', '{n} нод')
