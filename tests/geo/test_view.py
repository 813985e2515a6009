import math

import numpy as np
import pytest

from geo.view import IEC_62676_4, Views, angle_diff_deg, bearing_deg, in_sector, max_range, pixel_density
from xueliang.errors import ConfigError


def test_range_from_pixel_density_by_hand() -> None:
    # 1920 px over 90 degrees: width at d is 2d; 125 px/m -> d = 1920 / 250 = 7.68 m
    assert max_range(1920, 90, 125.0)[()] == pytest.approx(7.68)
    # mounted 4 m high: ground range sqrt(7.68^2 - 16)
    assert max_range(1920, 90, 125.0, 4.0)[()] == pytest.approx(math.sqrt(7.68**2 - 16))
    # detection (25 px/m) reaches five times as far as recognition (125 px/m)
    assert max_range(1920, 60, 25.0)[()] == pytest.approx(5 * max_range(1920, 60, 125.0)[()])
    # too high to meet the density anywhere on the ground
    assert max_range(1920, 90, 125.0, 10.0)[()] == 0.0


def test_levels_and_scales() -> None:
    assert pixel_density("recognition") == IEC_62676_4["recognition"] == 125
    assert pixel_density("identification") == 250
    assert pixel_density("pd80", "iec62676-4:2025") == 80
    assert pixel_density(40.0) == 40
    with pytest.raises(ConfigError, match=r"unknown level 'recognise'.*expected one of detection"):
        pixel_density("recognise")
    with pytest.raises(ConfigError, match="more than 0"):
        pixel_density(0.0)


def test_bearings_and_sector() -> None:
    assert bearing_deg(np.array([0.0, 1.0, 0.0, -1.0]), np.array([1.0, 0.0, -1.0, 0.0])).tolist() == [0, 90, 180, 270]
    assert angle_diff_deg(np.array([350.0]), np.array([10.0]))[0] == pytest.approx(20)
    v = Views(
        np.array(["a", "b"], dtype=object),
        np.zeros(2),
        np.zeros(2),
        np.array([90.0, np.nan]),
        np.array([30.0, 180.0]),
        np.array([10.0, 5.0]),
    )
    cam = np.array([0, 0, 0, 1, 1])
    px = np.array([5.0, 0.0, 11.0, -4.0, -6.0])
    py = np.array([1.0, 5.0, 0.0, 0.0, 0.0])
    # east within 30 deg: yes; due north: no; beyond range: no; omni within 5 m: yes; beyond: no
    assert in_sector(v, cam, px, py).tolist() == [True, False, False, True, False]


def test_views_validate_shapes() -> None:
    with pytest.raises(ValueError, match=r"Views.radius: expected shape \(2,\), got \(3,\)"):
        Views(np.array(["a", "b"], dtype=object), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(3))
