"""Footage indexing: recorded video in, searchable vehicle sightings out.

Stages (each a module): decode -> motion gate -> detect -> track -> attributes/plates/embed -> store.
``vision.index.index_files`` is the entry point; ``vision.store`` holds the ORM tables.
Nothing heavy is imported here: models load in factory functions.
"""
