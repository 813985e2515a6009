"""The web app for planners, investigators and reviewers (extra ``web``); build it with ``create_app``."""
