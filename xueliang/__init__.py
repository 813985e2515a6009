"""xueliang: a toolkit for public video-surveillance programmes.

Core (bottom layer): ``errors``, ``config``, ``storage`` (with ``storage.times``). Features: ``investigate``
(search, review, export) and ``ledger`` (cases). Shells: ``cli``, ``web``, ``report``.
Coverage and placement live in :mod:`geo`, footage indexing in :mod:`vision`. See docs/architecture.md.
"""

__version__ = "0.1.0"
