from __future__ import annotations

import numpy as np

from vision.motion import MotionConfig, MotionGate


def frame(x: int | None) -> np.ndarray:
    img = np.full((120, 160, 3), 100, np.uint8)
    if x is not None:
        img[40:70, x : x + 30] = (0, 0, 255)
    return img


def test_static_frames_are_gated_and_moving_ones_pass() -> None:
    gate = MotionGate()
    assert gate.moving(frame(None))  # first frame always goes
    assert not gate.moving(frame(None))
    assert not gate.moving(frame(None))
    assert gate.moving(frame(20))
    assert gate.moving(frame(40))
    assert not gate.moving(frame(40))  # parked: no motion


def test_sensor_noise_is_not_motion() -> None:
    rng = np.random.default_rng(0)
    gate = MotionGate()
    base = frame(None).astype(np.int16)
    for _ in range(5):
        noisy = np.clip(base + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8)
        gate.moving(noisy)
    assert gate.last_fraction < MotionConfig().min_fraction


def test_disabled_gate_passes_everything() -> None:
    gate = MotionGate(MotionConfig(enabled=False))
    assert all(gate.moving(frame(None)) for _ in range(3))
