"""Case ledger: cases and their video record, how often video supported solving them, blind spots.

Modules: ``tables`` (tables), ``schema`` (fields, the check of one row), ``io`` (read files, map
columns), ``store`` (import with history, load), ``metrics`` (Wilson/Newcombe and the measures, pure),
``render`` (text, JSON), ``generate`` (demo ledgers), ``blindspots`` (cases outside camera views).
"""
