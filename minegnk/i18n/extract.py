"""Finds every translatable string in the code: literal arguments of ``_``, ``N_`` and ``_n`` calls.

``python -m minegnk.i18n.extract`` lists the messages that the Russian catalog lacks (and writes stubs with --write).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from minegnk import i18n

PACKAGE_DIR = Path(__file__).resolve().parent.parent
MARKERS = {'_', 'N_'}
PLURAL_MARKERS = {'_n'}


def extract(package_dir: Path = PACKAGE_DIR) -> tuple[set[str], set[tuple[str, str]]]:
    singles: set[str] = set()
    plurals: set[tuple[str, str]] = set()
    for path in package_dir.rglob('*.py'):
        tree = ast.parse(path.read_text(encoding='utf-8'), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            args = node.args
            if node.func.id in MARKERS and args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
                singles.add(args[0].value)
            elif node.func.id in PLURAL_MARKERS and len(args) >= 2 and all(
                    isinstance(a, ast.Constant) and isinstance(a.value, str) for a in args[:2]):
                plurals.add((args[0].value, args[1].value))
    return singles, plurals


def missing(language: str) -> tuple[list[str], list[tuple[str, str]]]:
    catalog = i18n.catalog(language)
    singles, plurals = extract()
    lacking = sorted(m for m in singles if catalog is None or not (catalog.get(m) and catalog.get(m).string))
    lacking_plural = sorted(p for p in plurals if catalog is None or not (catalog.get(p) and all(catalog.get(p).string)))
    return lacking, lacking_plural


def main() -> int:
    lacking, lacking_plural = missing('ru')
    for message in lacking:
        print(message)
    for singular, _plural in lacking_plural:
        print(f'{singular} (plural)')
    if '--write' in sys.argv and (lacking or lacking_plural):
        stub = Catalog(locale='ru')
        for message in lacking:
            stub.add(message, '')
        for pair in lacking_plural:
            stub.add(pair, ('', '', ''))
        with open('missing-ru.po', 'wb') as f:
            write_po(f, stub, omit_header=True, width=0)
        print('wrote missing-ru.po')
    return 1 if lacking or lacking_plural else 0


if __name__ == '__main__':
    sys.exit(main())
