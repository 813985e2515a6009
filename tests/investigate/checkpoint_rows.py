"""Core-insert rows for checkpoint passes: one checkpoint camera and white-sedan passes on it.

Shared by the plate index and plate search tests, which fill ``sightings`` directly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

CAMERA_ID = "kk-1"


def checkpoint_camera(imported_at: dt.datetime) -> dict[str, Any]:
    """The ``cameras`` row of the checkpoint every pass is on."""
    return {"id": CAMERA_ID, "lon": 112.5, "lat": 37.8, "channels": 1, "kind": "bullet", "imported_at": imported_at}


def checkpoint_sighting(at: dt.datetime, plate: str | None) -> dict[str, Any]:
    """A ``sightings`` row: a white sedan passing at ``at``, sure of everything; unread plate when None."""
    return {
        "camera_id": CAMERA_ID,
        "track_id": 0,
        "first_seen": at,
        "last_seen": at,
        "detector_class": "car",
        "detector_confidence": 1.0,
        "colour": "white",
        "colour_confidence": 1.0,
        "vehicle_type": "sedan",
        "vehicle_type_confidence": 1.0,
        "plate_state": "visible" if plate else "unknown",
        "plate_state_confidence": 1.0,
        "plate_text": plate,
        "direction": "unknown",
        "best_frame": 0,
        "source": "checkpoint",
    }
