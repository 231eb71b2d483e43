"""Merge translations given as a Python dict file into a language's catalog: ``python -m minegnk.i18n.merge ru FILE``.

The file defines ``RU = {english: translated}`` (plural entries: ``(singular, plural): (form0, form1, form2)``).
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from minegnk import i18n


def merge(language: str, translations: dict) -> int:
    path = i18n.LOCALE_DIR / language / 'LC_MESSAGES' / 'messages.po'
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        with path.open('rb') as f:
            catalog = read_po(f, locale=language)
    else:
        catalog = Catalog(locale=language, project='MineGNK', charset='utf-8')
    for msgid, string in translations.items():
        existing = catalog.get(msgid)
        if existing is None:
            catalog.add(msgid, string)
        else:  # Catalog.add would keep the old text of a message it already has
            existing.string = string
            existing.flags.discard('fuzzy')
    with path.open('wb') as f:
        write_po(f, catalog, width=0, sort_output=True)
    return len(translations)


if __name__ == '__main__':
    language, source = sys.argv[1], sys.argv[2]
    values = runpy.run_path(source)[language.upper()]
    print(f'merged {merge(language, values)} messages into {language}')
