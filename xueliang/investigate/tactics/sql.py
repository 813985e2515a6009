"""The tactic SQL, one text per tactic, run unchanged by DuckDB and Spark (see engines.py).

Every query reads ``passes`` (columns of columnar.py) and the window ``:t1 <= t <= :t2`` (UTC epoch
seconds); ``:offset`` is the local UTC offset in seconds (local days and hours). Results are flat
rows (one per justifying pass); :mod:`xueliang.investigate.tactics.run` groups them.
"""

from __future__ import annotations

EARTH_M = "6371008.8"

# Consecutive passes of one plate at different checkpoints needing more than :max_kmh
# (straight-line distance over the time between them; the same second counts as impossible).
CLONED_SPEED = f"""
WITH p AS (
  SELECT id, plate, camera_id, t, lon, lat,
         LAG(id) OVER (PARTITION BY plate ORDER BY t, id) AS prev_id,
         LAG(camera_id) OVER (PARTITION BY plate ORDER BY t, id) AS prev_camera,
         LAG(t) OVER (PARTITION BY plate ORDER BY t, id) AS prev_t,
         LAG(lon) OVER (PARTITION BY plate ORDER BY t, id) AS prev_lon,
         LAG(lat) OVER (PARTITION BY plate ORDER BY t, id) AS prev_lat
  FROM passes
  WHERE plate IS NOT NULL AND t BETWEEN :t1 AND :t2
), d AS (
  SELECT plate, prev_id, id, prev_t, t,
         2 * {EARTH_M} * ASIN(SQRT(
           POWER(SIN(RADIANS(lat - prev_lat) / 2), 2)
           + COS(RADIANS(prev_lat)) * COS(RADIANS(lat)) * POWER(SIN(RADIANS(lon - prev_lon) / 2), 2))) AS metres
  FROM p
  WHERE prev_id IS NOT NULL AND camera_id <> prev_camera
)
SELECT plate, prev_id, id, ROUND(metres, 1) AS metres, t - prev_t AS seconds
FROM d
WHERE metres >= :min_metres AND metres * 3.6 > :max_kmh * (t - prev_t)
ORDER BY plate, t, id
"""

# One plate with two or more values of colour, class or brand, each seen on >= :min_support passes.
CLONED_ATTRIBUTES = """
WITH p AS (
  SELECT id, plate, colour, vehicle_type, brand FROM passes
  WHERE plate IS NOT NULL AND t BETWEEN :t1 AND :t2
), a AS (
  SELECT plate, 'colour' AS attribute, colour AS value, COUNT(*) AS n, MIN(id) AS example_id FROM p
  WHERE colour NOT IN ('unknown', 'other') GROUP BY plate, colour
  UNION ALL
  SELECT plate, 'vehicle_type' AS attribute, vehicle_type AS value, COUNT(*) AS n, MIN(id) AS example_id FROM p
  WHERE vehicle_type NOT IN ('unknown', 'other') GROUP BY plate, vehicle_type
  UNION ALL
  SELECT plate, 'brand' AS attribute, brand AS value, COUNT(*) AS n, MIN(id) AS example_id FROM p
  WHERE brand IS NOT NULL GROUP BY plate, brand
), s AS (
  SELECT * FROM a WHERE n >= :min_support
), c AS (
  SELECT plate, attribute FROM s GROUP BY plate, attribute HAVING COUNT(*) > 1
)
SELECT s.plate, s.attribute, s.value, s.n, s.example_id
FROM s JOIN c ON s.plate = c.plate AND s.attribute = c.attribute
ORDER BY s.plate, s.attribute, s.value
"""

# Passes of other plates at the target's checkpoints within +-:dt s (time buckets of :dt s make it an
# equi-join on camera and bucket). A day together: >= :k distinct checkpoints shared on one local day
# (one trip followed); kept with >= :min_days such days.
COMPANIONS = """
WITH target AS (
  SELECT id, camera_id, t FROM passes WHERE plate = :plate AND t BETWEEN :t1 AND :t2
), tb AS (
  SELECT target.id AS target_id, target.camera_id, target.t AS target_t,
         CAST(FLOOR(target.t / :dt) AS BIGINT) + o.o AS b
  FROM target CROSS JOIN (SELECT -1 AS o UNION ALL SELECT 0 AS o UNION ALL SELECT 1 AS o) o
), pb AS (
  SELECT id, plate, camera_id, t, CAST(FLOOR(t / :dt) AS BIGINT) AS b FROM passes
  WHERE plate IS NOT NULL AND plate <> :plate AND t BETWEEN :t1 - :dt AND :t2 + :dt
), m AS (
  SELECT pb.plate, pb.id, pb.camera_id, pb.t, tb.target_id,
         CAST(FLOOR((pb.t + :offset) / 86400) AS BIGINT) AS day
  FROM pb JOIN tb ON pb.camera_id = tb.camera_id AND pb.b = tb.b
  WHERE ABS(pb.t - tb.target_t) <= :dt
), together AS (
  SELECT plate, day FROM m GROUP BY plate, day HAVING COUNT(DISTINCT camera_id) >= :k
), s AS (
  SELECT plate, COUNT(*) AS days FROM together GROUP BY plate HAVING COUNT(*) >= :min_days
), agg AS (
  SELECT m.plate, COUNT(DISTINCT m.camera_id) AS cameras, COUNT(DISTINCT m.target_id) AS co_passes
  FROM m JOIN s ON m.plate = s.plate GROUP BY m.plate
)
SELECT s.plate, agg.cameras, s.days, agg.co_passes, m.id, m.target_id
FROM s JOIN agg ON s.plate = agg.plate JOIN m ON s.plate = m.plate
ORDER BY s.days DESC, agg.co_passes DESC, s.plate, m.id, m.target_id
"""

# A plate's first pass since :t1 - :lookback is at an entry checkpoint, within [:t1, :t2].
FIRST_ENTRY = """
WITH f AS (
  SELECT plate, MIN(t) AS first_t FROM passes
  WHERE plate IS NOT NULL AND t >= :t1 - :lookback AND t <= :t2 GROUP BY plate
), e AS (
  SELECT p.id, p.plate, p.camera_id, p.t,
         ROW_NUMBER() OVER (PARTITION BY p.plate ORDER BY p.t, p.id) AS rn
  FROM passes p JOIN entry_cameras c ON p.camera_id = c.camera_id
  WHERE p.plate IS NOT NULL AND p.t BETWEEN :t1 AND :t2
)
SELECT e.plate, e.id, e.camera_id, e.t
FROM e JOIN f ON e.plate = f.plate AND e.t = f.first_t
WHERE e.rn = 1
ORDER BY e.t, e.plate
"""

# Trip ends of one plate: a pass followed by a gap >= :gap s (or the window's last pass).
FOOTHOLDS = """
WITH p AS (
  SELECT id, camera_id, t, lon, lat, LEAD(t) OVER (ORDER BY t, id) AS next_t
  FROM passes WHERE plate = :plate AND t BETWEEN :t1 AND :t2
)
SELECT id, camera_id, t, lon, lat, next_t
FROM p WHERE next_t IS NULL OR next_t - t >= :gap
ORDER BY t, id
"""

# Mostly-at-night plates: >= :min_passes passes, a share >= :min_share in the night hours (local
# seconds of day in [:night_start, 86400) or [0, :night_end)), on >= :min_nights nights.
NOCTURNAL = """
WITH p AS (
  SELECT plate, id, t, (t + :offset) % 86400 AS sod,
         CAST(FLOOR((t + :offset - :night_end) / 86400) AS BIGINT) AS night_of
  FROM passes WHERE plate IS NOT NULL AND t BETWEEN :t1 AND :t2
), q AS (
  SELECT plate, id, t, night_of,
         CASE WHEN sod >= :night_start OR sod < :night_end THEN 1 ELSE 0 END AS is_night
  FROM p
), s AS (
  SELECT plate, COUNT(*) AS passes, SUM(is_night) AS night_passes,
         COUNT(DISTINCT CASE WHEN is_night = 1 THEN night_of END) AS nights
  FROM q GROUP BY plate
  HAVING COUNT(*) >= :min_passes AND SUM(is_night) >= :min_share * COUNT(*)
     AND COUNT(DISTINCT CASE WHEN is_night = 1 THEN night_of END) >= :min_nights
)
SELECT s.plate, s.passes, s.night_passes, s.nights, q.id
FROM s JOIN q ON s.plate = q.plate
WHERE q.is_night = 1
ORDER BY s.plate, q.t, q.id
"""

# >= :min_passes passes of a plate at one checkpoint (per checkpoint) in the window.
FREQUENT = """
WITH p AS (
  SELECT plate, camera_id, id, t FROM passes WHERE plate IS NOT NULL AND t BETWEEN :t1 AND :t2
), s AS (
  SELECT plate, camera_id, COUNT(*) AS n FROM p GROUP BY plate, camera_id HAVING COUNT(*) >= :min_passes
)
SELECT s.plate, s.camera_id, s.n, p.id
FROM s JOIN p ON s.plate = p.plate AND s.camera_id = p.camera_id
ORDER BY s.n DESC, s.plate, s.camera_id, p.t, p.id
"""

# >= :min_passes passes of a plate at any checkpoint of an area (area_cameras) in the window.
FREQUENT_AREA = """
WITH p AS (
  SELECT passes.plate, passes.camera_id, passes.id, passes.t
  FROM passes JOIN area_cameras a ON passes.camera_id = a.camera_id
  WHERE passes.plate IS NOT NULL AND passes.t BETWEEN :t1 AND :t2
), s AS (
  SELECT plate, 'area' AS camera_id, COUNT(*) AS n FROM p GROUP BY plate HAVING COUNT(*) >= :min_passes
)
SELECT s.plate, s.camera_id, s.n, p.id
FROM s JOIN p ON s.plate = p.plate
ORDER BY s.n DESC, s.plate, p.t, p.id
"""

# Plates passing the cameras of >= :k scenes within their windows (scene_cameras: scene, camera, t1, t2).
AREA_COLLISION = """
WITH m AS (
  SELECT s.scene, p.plate, p.id, p.t
  FROM passes p JOIN scene_cameras s ON p.camera_id = s.camera_id AND p.t BETWEEN s.t1 AND s.t2
  WHERE p.plate IS NOT NULL
), c AS (
  SELECT plate, COUNT(DISTINCT scene) AS scenes FROM m GROUP BY plate HAVING COUNT(DISTINCT scene) >= :k
)
SELECT c.plate, c.scenes, m.scene, m.id
FROM c JOIN m ON c.plate = m.plate
ORDER BY c.scenes DESC, c.plate, m.scene, m.t, m.id
"""

# The justifying passes' details.
PASS_DETAILS = """
SELECT p.id, p.plate, p.camera_id, p.t, p.lon, p.lat, p.source
FROM passes p JOIN evidence e ON p.id = e.id
ORDER BY p.id
"""
