"""Investigator features above vision: checkpoint passes, tactics, watch lists."""
