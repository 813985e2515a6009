"""The what-if body reader on arbitrary input: a parsed body or one InputError line, nothing else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from xueliang.errors import InputError
from xueliang.web.workbench import CameraIn, WhatIfIn, parse_body

_json = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
_camera = st.fixed_dictionaries(
    {"lon": st.floats(-200, 200), "lat": st.floats(-100, 100)},
    optional={
        "heading": st.floats(-10, 400) | st.none(),
        "fov": st.floats(-1, 400),
        "resolution": st.integers(-5, 200_000),
        "kind": st.sampled_from(["bullet", "dome", "ptz", "fisheye"]),
    },
)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=64) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_parse_or_fail_in_one_line(raw: bytes) -> None:
    try:
        body = parse_body(raw, WhatIfIn, "whatif body")
    except InputError as exc:
        assert str(exc).startswith("whatif body") and "\n" not in str(exc).strip()
    else:
        assert isinstance(body, WhatIfIn)


@settings(max_examples=150, deadline=None)
@given(st.lists(_camera, max_size=3))
def test_cameras_in_range_are_kept_and_out_of_range_refused(cams: list[dict[str, object]]) -> None:
    raw = json.dumps({"cameras": cams}).encode()

    def ok(c: dict[str, object]) -> bool:
        h, f, r = c.get("heading"), c.get("fov", 1.0), c.get("resolution", 16)
        return (
            -180 <= float(c["lon"]) <= 180  # type: ignore[arg-type]
            and -90 <= float(c["lat"]) <= 90  # type: ignore[arg-type]
            and (h is None or 0 <= float(h) <= 360)  # type: ignore[arg-type]
            and 0 < float(f) <= 360  # type: ignore[arg-type]
            and 16 <= int(r) <= 100_000  # type: ignore[call-overload]
            and c.get("kind", "bullet") != "fisheye"
        )

    try:
        body = parse_body(raw, WhatIfIn, "whatif body")
    except InputError:
        assert not all(ok(c) for c in cams)
    else:
        assert all(ok(c) for c in cams) and all(isinstance(c, CameraIn) for c in body.cameras)
