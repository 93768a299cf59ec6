"""Console-script shims whose entry function must return None (a script's return value is its exit status).

The Hydra entry points (`sentemb-train` = `sentemb.run:main`, `sentemb-evaluate`, `sentemb-pretrain`) are used
as they are; `sentemb.report.main` returns the files it wrote, for callers in Python.
"""

from __future__ import annotations


def report() -> None:
    """`sentemb-report PATH... [--out DIR]`, the same as `python -m sentemb.report`."""
    from sentemb.report import main

    main()
