"""Footage indexing: recorded video in, vehicle sightings out.

Stages (each a module): decode -> motion gate -> detect -> track -> attributes/plates/embed -> tables.
``vision.index.index_files`` is the entry point; ``vision.tables`` holds the ORM tables it writes.
Searching the sightings is investigator work: :mod:`xueliang.investigate`.
Nothing heavy is imported here: models load in factory functions.
"""
