"""Investigator work on indexed footage: search, multi-scene queries, similarity, review, evidence export.

Modules: ``search`` (one query over the sightings, search cases), ``plates_match`` (partial plates),
``scenes`` (several places and times at once), ``similar`` and ``ann_index`` (vehicles that look alike),
``review`` (keep or drop a hit), ``export`` (evidence package), ``gat1400`` (GA/T 1400 records),
``tables`` (the search tables). It reads the sightings that :mod:`vision` writes; it never decodes pixels.
"""
