"""xueliang: a toolkit for public video-surveillance programmes.

Shared core: configuration, errors, storage, case ledger, reports and the command line.
Coverage and placement live in :mod:`geo`, footage indexing and search in :mod:`vision`.
"""

__version__ = "0.1.0"
