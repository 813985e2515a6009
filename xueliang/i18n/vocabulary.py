"""Words that reach people as data values (class names, levels, roles, vehicle colours and types, plate
states, rule names): marked here for the catalogue, translated where they are shown (``tr(value)`` in
templates, ``T(value)`` in page scripts, which receive these with their translations)."""

from __future__ import annotations

from xueliang.i18n import N_

__all__ = ["WORDS"]

WORDS: tuple[str, ...] = (
    # target classes and levels
    N_("intersections"),
    N_("main_road_nodes"),
    N_("crowded_areas"),
    N_("key_sites"),
    N_("boundary_crossings"),
    N_("villages"),
    N_("detection"),
    N_("observation"),
    N_("recognition"),
    N_("identification"),
    # the two rules for an intersection
    N_("centre seen"),
    N_("every approach seen"),
    N_("centre_seen"),
    N_("every_approach_seen"),
    N_("centre seen: a camera sees the intersection's centre point"),
    N_("every approach seen: each street entering the intersection is seen 10 m out from the centre"),
    N_("not-covering"),
    N_("covering"),
    # roles
    N_("planner"),
    N_("investigator"),
    N_("reviewer"),
    N_("admin"),
    # vehicles
    N_("white"),
    N_("black"),
    N_("grey"),
    N_("silver"),
    N_("red"),
    N_("blue"),
    N_("brown"),
    N_("yellow"),
    N_("green"),
    N_("unknown"),
    N_("sedan"),
    N_("suv"),
    N_("van"),
    N_("pickup"),
    N_("truck"),
    N_("bus"),
    N_("motorcycle"),
    N_("visible"),
    N_("covered"),
    N_("absent"),
    N_("not_in_view"),
    N_("keep"),
    N_("eliminate"),
    # map popups: feature properties
    N_("target_id"),
    N_("name"),
    N_("camera_id"),
    N_("id"),
    N_("model"),
    N_("cost"),
    N_("phase"),
    N_("true"),
    N_("false"),
)
