"""Case ledger: cases and their video record, how often video supported solving them, blind spots.

Modules: ``models`` (tables), ``io`` (read, map, validate files), ``store`` (import with history,
load), ``metrics`` (Wilson/Newcombe and the measures, pure), ``render``, ``generate``, ``blindspots``.
"""
