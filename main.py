"""MineGNK entry point. ``python main.py --help`` lists the commands."""

import sys

from minegnk.cli import main

if __name__ in {'__main__', '__mp_main__'}:
    code = main()
    if code:
        sys.exit(code)
