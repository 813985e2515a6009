"""Investigator work on indexed footage and checkpoint passes: search, multi-scene queries, similarity,
review, evidence export, pass records, tactics, watch lists.

Modules: ``search`` (one query over the sightings, search cases), ``plates_match`` (partial plates),
``scenes`` (several places and times at once), ``similar`` and ``ann_index`` (vehicles that look alike),
``review`` (keep or drop a hit), ``export`` (evidence package), ``gat1400`` (GA/T 1400 records),
``tables`` (the search tables); ``passes``/``passes_store``/``passes_generate`` (checkpoint pass records),
``codes`` (GA/T 1400 code tables read), ``tactics`` (vehicle tactics as SQL on DuckDB or Spark),
``watch`` (watch lists), ``plate_index`` (plate patterns without a window). It reads the sightings that
:mod:`vision` writes; it never decodes pixels.
"""
