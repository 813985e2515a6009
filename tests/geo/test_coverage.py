"""Hand-built geometry whose answers are known by hand."""

import numpy as np
import pytest
import shapely

from geo.coverage import Occluders, area_coverage, point_coverage, view_polygons
from geo.view import Views


def views(*cams: tuple[float, float, float, float, float]) -> Views:
    arr = np.array(cams, dtype=float)
    return Views(
        np.array([f"c{i}" for i in range(len(cams))], dtype=object),
        arr[:, 0],
        arr[:, 1],
        arr[:, 2],
        arr[:, 3],
        arr[:, 4],
    )


def test_camera_facing_intersection_sees_it_and_one_behind_a_building_does_not() -> None:
    # intersection at the origin
    px, py = np.array([0.0]), np.array([0.0])
    # c0: 10 m west, facing east, 30 m range; c1: 10 m east facing west but a building stands between;
    # c2: 10 m south facing south (away); c3: 40 m north facing south (out of range)
    v = views((-10, 0, 90, 30, 30), (10, 0, 270, 30, 30), (0, -10, 180, 30, 30), (0, 40, 180, 30, 30))
    building = shapely.box(3, -3, 6, 3)
    m = point_coverage(v, px, py, Occluders.from_geoms([building])).toarray()
    assert m.tolist() == [[True, False, False, False]]
    # without occlusion the camera behind the building sees it
    assert point_coverage(v, px, py, None).toarray().tolist() == [[True, True, False, False]]


def test_range_depends_on_level() -> None:
    from geo.view import max_range

    # a 1920 px, 60 degree camera 20 m from the target: in range at detection (25 px/m), not at recognition
    r_det = max_range(1920, 60, 25.0)[()]
    r_rec = max_range(1920, 60, 125.0)[()]
    assert r_rec < 20 < r_det
    px, py = np.array([20.0]), np.array([0.0])
    seen_det = point_coverage(views((0, 0, 90, 30, r_det)), px, py).toarray()[0, 0]
    seen_rec = point_coverage(views((0, 0, 90, 30, r_rec)), px, py).toarray()[0, 0]
    assert seen_det and not seen_rec


def test_camera_on_a_wall_is_not_blocked_by_its_own_building() -> None:
    host = shapely.box(-10, -5, 0, 5)  # camera stands on its east facade
    v = views((0, 0, 90, 30, 20))
    m = point_coverage(v, np.array([10.0]), np.array([0.0]), Occluders.from_geoms([host]))
    assert m.toarray()[0, 0]


def test_target_in_a_building_counts_when_its_facade_is_visible() -> None:
    # a bank mapped as a node inside its building; the camera sees the building from across the street
    bank = shapely.box(10, -5, 20, 5)
    other = shapely.box(30, -5, 40, 5)
    v = views((0, 0, 90, 30, 50), (50, 0, 270, 30, 50))
    m = point_coverage(v, np.array([15.0]), np.array([0.0]), Occluders.from_geoms([bank, other])).toarray()
    # c0 looks at the bank's own facade; c1 would have to look through the other building
    assert m.tolist() == [[True, False]]


def test_view_polygon_is_cut_by_a_building() -> None:
    v = views((0, 0, 90, 45, 20))
    free = view_polygons(v, None, ray_step_deg=1)[0]
    cut = view_polygons(v, Occluders.from_geoms([shapely.box(10, -2, 12, 2)]), ray_step_deg=1)[0]
    # a 90-degree sector of radius 20: area pi*r^2/4 (polygon slightly under)
    assert free.area == pytest.approx(np.pi * 400 / 4, rel=0.01)
    assert cut.area < free.area - 10
    assert not cut.contains(shapely.Point(15, 0))  # shadow behind the building
    assert cut.contains(shapely.Point(5, 0))


def test_omni_view_is_a_disc() -> None:
    v = views((0, 0, np.nan, 180, 10))
    poly = view_polygons(v, None, ray_step_deg=2)[0]
    assert poly.area == pytest.approx(np.pi * 100, rel=0.01)


def test_area_coverage_fraction_counts_open_space_only() -> None:
    square = shapely.box(0, 0, 20, 20)
    building = shapely.box(0, 0, 20, 10)  # the south half is built
    view = shapely.box(0, 10, 10, 20)  # sees the north-west quarter
    open_m2, frac, touching = area_coverage(
        np.array([square], dtype=object), np.array([view], dtype=object), Occluders.from_geoms([building])
    )
    assert open_m2[0] == pytest.approx(200)
    assert frac[0] == pytest.approx(0.5)
    assert touching[0].tolist() == [0]


def test_zero_radius_camera_sees_nothing() -> None:
    v = views((0, 0, 0, 180, 0))
    assert point_coverage(v, np.array([0.0]), np.array([0.0])).nnz == 0
    assert view_polygons(v)[0].is_empty
