"""The tactic SQL, one text per tactic, run unchanged by DuckDB and Spark (see engines.py).

Every query reads ``passes`` (columns of columnar.py) and the window ``:t1 <= t <= :t2`` (UTC epoch
seconds); ``:offset`` is the local UTC offset in seconds (local days and hours). Plates are grouped,
partitioned and joined by their int32 ``plate_id``; the ``plates`` dictionary names them only in the
results. A tactic on one plate binds its id (:data:`PLATE_ID` first), so the plate-sorted row groups
of the other plates are skipped. Results are flat rows (one per justifying pass);
:mod:`xueliang.investigate.tactics.run` groups them.
"""

from __future__ import annotations

EARTH_M = "6371008.8"

# The id of one plate (none when the plate was never seen).
PLATE_ID = "SELECT plate_id FROM plates WHERE plate = :plate"

# Consecutive passes of one plate at different checkpoints needing more than :max_kmh
# (straight-line distance over the time between them; the same second counts as impossible).
# From the layout's prev_* columns (columnar.with_previous): one scan, no sort; prev_kmh (the
# necessary condition, with a margin for rounding) lets the scan skip row groups by their statistics. They hold a pass's
# predecessor when it was on the same or the previous UTC day; an earlier one is > 24 h back, too
# slow to count while no two checkpoints are a day's drive at :max_kmh apart (run.py checks the
# extent, else runs CLONED_SPEED_SORTED).
CLONED_SPEED = """
WITH pairs AS (
  SELECT plate_id, prev_id, id, prev_t, t, prev_metres AS metres FROM passes
  WHERE prev_kmh >= :max_kmh * 0.999999 AND prev_t >= :t1 AND t <= :t2
    AND prev_metres >= :min_metres AND prev_metres * 3.6 > :max_kmh * (t - prev_t)
)
SELECT plates.plate, pairs.prev_id, pairs.id, ROUND(pairs.metres, 1) AS metres, pairs.t - pairs.prev_t AS seconds
FROM pairs JOIN plates ON pairs.plate_id = plates.plate_id
ORDER BY plates.plate, pairs.t, pairs.id
"""

# The same by ordering every pass of each plate (checkpoints a day's drive apart).
CLONED_SPEED_SORTED = f"""
WITH x AS (
  SELECT plate_id, id, t, lon, lat,
         LAG(id) OVER (PARTITION BY plate_id ORDER BY t, id) AS prev_id,
         LAG(t) OVER (PARTITION BY plate_id ORDER BY t, id) AS prev_t,
         LAG(lon) OVER (PARTITION BY plate_id ORDER BY t, id) AS prev_lon,
         LAG(lat) OVER (PARTITION BY plate_id ORDER BY t, id) AS prev_lat
  FROM passes WHERE plate_id IS NOT NULL AND t BETWEEN :t1 AND :t2
), pairs AS (
  SELECT plate_id, prev_id, id, prev_t, t,
         2 * {EARTH_M} * ASIN(SQRT(
           POWER(SIN(RADIANS(lat - prev_lat) / 2), 2)
           + COS(RADIANS(prev_lat)) * COS(RADIANS(lat)) * POWER(SIN(RADIANS(lon - prev_lon) / 2), 2))) AS metres
  FROM x WHERE prev_id IS NOT NULL
)
SELECT plates.plate, pairs.prev_id, pairs.id, ROUND(pairs.metres, 1) AS metres, pairs.t - pairs.prev_t AS seconds
FROM pairs JOIN plates ON pairs.plate_id = plates.plate_id
WHERE pairs.metres >= :min_metres AND pairs.metres * 3.6 > :max_kmh * (pairs.t - pairs.prev_t)
ORDER BY plates.plate, pairs.t, pairs.id
"""

# The checkpoints' extent (of all passes: a bound for any window; which CLONED_SPEED applies).
EXTENT = "SELECT MIN(lon), MAX(lon), MIN(lat), MAX(lat) FROM passes"

# One plate with two or more values of colour, class or brand, each seen on >= :min_support passes.
# One aggregate over the passes (per plate and combination of the three), then per attribute (that
# small result crossed with the three attribute names, so the passes are read once).
CLONED_ATTRIBUTES = """
WITH combos AS (
  SELECT plate_id, colour, vehicle_type, brand, COUNT(*) AS n, MIN(id) AS example_id FROM passes
  WHERE plate_id IS NOT NULL AND t BETWEEN :t1 AND :t2
  GROUP BY plate_id, colour, vehicle_type, brand
), a AS (
  SELECT c.plate_id, k.attribute,
         CASE k.attribute WHEN 'colour' THEN c.colour WHEN 'vehicle_type' THEN c.vehicle_type ELSE c.brand END AS value,
         SUM(c.n) AS n, MIN(c.example_id) AS example_id
  FROM combos c
  CROSS JOIN (SELECT 'colour' AS attribute UNION ALL SELECT 'vehicle_type' UNION ALL SELECT 'brand') k
  GROUP BY c.plate_id, k.attribute,
           CASE k.attribute WHEN 'colour' THEN c.colour WHEN 'vehicle_type' THEN c.vehicle_type ELSE c.brand END
), s AS (
  SELECT a.*, COUNT(*) OVER (PARTITION BY plate_id, attribute) AS values_n FROM a
  WHERE n >= :min_support AND value IS NOT NULL AND (attribute = 'brand' OR value NOT IN ('unknown', 'other'))
)
SELECT plates.plate, s.attribute, s.value, s.n, s.example_id
FROM s JOIN plates ON s.plate_id = plates.plate_id
WHERE s.values_n > 1
ORDER BY plates.plate, s.attribute, s.value
"""

# The target's passes (run.py turns them into target_buckets: target_id, camera_id, target_t, b).
COMPANION_TARGET = "SELECT id, camera_id, t FROM passes WHERE plate_id = :plate_id AND t BETWEEN :t1 AND :t2"

# Passes of other plates at the target's checkpoints within +-:dt s: target_buckets holds each target
# pass under its time bucket of :dt s and the two neighbouring ones, so only the (checkpoint, bucket)
# slices the target touches are joined (an equi-join both engines hash, the small side known).
# A day together: >= :k distinct checkpoints shared on one local day (one trip followed); kept with
# >= :min_days such days.
# The matches are materialized (companion_matches: run.py, Engine.materialize) and read three times
# by COMPANIONS, so the passes are scanned once on both engines (Spark would inline a CTE at each use).
COMPANION_MATCHES = """
SELECT p.plate_id, p.id, p.camera_id, p.t, tb.target_id, CAST(FLOOR((p.t + :offset) / 86400) AS BIGINT) AS day
FROM passes p JOIN target_buckets tb ON p.camera_id = tb.camera_id AND CAST(FLOOR(p.t / :dt) AS BIGINT) = tb.b
WHERE p.plate_id IS NOT NULL AND p.plate_id <> :plate_id AND p.t BETWEEN :t1 - :dt AND :t2 + :dt
  AND ABS(p.t - tb.target_t) <= :dt
"""

COMPANIONS = """
WITH m AS (
  SELECT * FROM companion_matches
), together AS (
  SELECT plate_id, day FROM m GROUP BY plate_id, day HAVING COUNT(DISTINCT camera_id) >= :k
), s AS (
  SELECT plate_id, COUNT(*) AS days FROM together GROUP BY plate_id HAVING COUNT(*) >= :min_days
), agg AS (
  SELECT m.plate_id, COUNT(DISTINCT m.camera_id) AS cameras, COUNT(DISTINCT m.target_id) AS co_passes
  FROM m JOIN s ON m.plate_id = s.plate_id GROUP BY m.plate_id
)
SELECT plates.plate, agg.cameras, s.days, agg.co_passes, m.id, m.target_id
FROM s JOIN agg ON s.plate_id = agg.plate_id JOIN m ON s.plate_id = m.plate_id
  JOIN plates ON s.plate_id = plates.plate_id
ORDER BY s.days DESC, agg.co_passes DESC, plates.plate, m.id, m.target_id
"""

# A plate's first pass since :t1 - :lookback is at an entry checkpoint, within [:t1, :t2].
FIRST_ENTRY = """
WITH f AS (
  SELECT plate_id, MIN(t) AS first_t FROM passes
  WHERE plate_id IS NOT NULL AND t >= :t1 - :lookback AND t <= :t2 GROUP BY plate_id
), e AS (
  SELECT p.id, p.plate_id, p.camera_id, p.t,
         ROW_NUMBER() OVER (PARTITION BY p.plate_id ORDER BY p.t, p.id) AS rn
  FROM passes p JOIN entry_cameras c ON p.camera_id = c.camera_id
  WHERE p.plate_id IS NOT NULL AND p.t BETWEEN :t1 AND :t2
)
SELECT plates.plate, e.id, e.camera_id, e.t
FROM e JOIN f ON e.plate_id = f.plate_id AND e.t = f.first_t JOIN plates ON e.plate_id = plates.plate_id
WHERE e.rn = 1
ORDER BY e.t, plates.plate
"""

# Trip ends of one plate: a pass followed by a gap >= :gap s (or the window's last pass).
FOOTHOLDS = """
WITH p AS (
  SELECT id, camera_id, t, lon, lat, LEAD(t) OVER (ORDER BY t, id) AS next_t
  FROM passes WHERE plate_id = :plate_id AND t BETWEEN :t1 AND :t2
)
SELECT id, camera_id, t, lon, lat, next_t
FROM p WHERE next_t IS NULL OR next_t - t >= :gap
ORDER BY t, id
"""

# Mostly-at-night plates: >= :min_passes passes, a share >= :min_share in the night hours (local
# seconds of day in [:night_start, 86400) or [0, :night_end)), on >= :min_nights nights.
# One aggregate with a night flag over all passes; the nights are counted for its few survivors only.
NOCTURNAL = """
WITH c AS (
  SELECT plate_id, COUNT(*) AS passes,
         SUM(CASE WHEN (t + :offset) % 86400 >= :night_start OR (t + :offset) % 86400 < :night_end
                  THEN 1 ELSE 0 END) AS night_passes
  FROM passes WHERE plate_id IS NOT NULL AND t BETWEEN :t1 AND :t2 GROUP BY plate_id
  HAVING COUNT(*) >= :min_passes
), k AS (
  SELECT * FROM c WHERE night_passes >= :min_share * passes
), n AS (
  SELECT p.plate_id, p.id, p.t, CAST(FLOOR((p.t + :offset - :night_end) / 86400) AS BIGINT) AS night_of
  FROM passes p JOIN k ON p.plate_id = k.plate_id
  WHERE p.t BETWEEN :t1 AND :t2 AND ((p.t + :offset) % 86400 >= :night_start OR (p.t + :offset) % 86400 < :night_end)
), s AS (
  SELECT plate_id, COUNT(DISTINCT night_of) AS nights FROM n GROUP BY plate_id
  HAVING COUNT(DISTINCT night_of) >= :min_nights
)
SELECT plates.plate, k.passes, k.night_passes, s.nights, n.id
FROM s JOIN k ON s.plate_id = k.plate_id JOIN n ON s.plate_id = n.plate_id JOIN plates ON s.plate_id = plates.plate_id
ORDER BY plates.plate, n.t, n.id
"""

# >= :min_passes passes of a plate at one checkpoint (per checkpoint) in the window.
FREQUENT = """
WITH p AS (
  SELECT plate_id, camera_id, id, t FROM passes WHERE plate_id IS NOT NULL AND t BETWEEN :t1 AND :t2
), s AS (
  SELECT plate_id, camera_id, COUNT(*) AS n FROM p GROUP BY plate_id, camera_id HAVING COUNT(*) >= :min_passes
)
SELECT plates.plate, s.camera_id, s.n, p.id
FROM s JOIN p ON s.plate_id = p.plate_id AND s.camera_id = p.camera_id JOIN plates ON s.plate_id = plates.plate_id
ORDER BY s.n DESC, plates.plate, s.camera_id, p.t, p.id
"""

# >= :min_passes passes of a plate at any checkpoint of an area (area_cameras) in the window.
FREQUENT_AREA = """
WITH p AS (
  SELECT passes.plate_id, passes.camera_id, passes.id, passes.t
  FROM passes JOIN area_cameras a ON passes.camera_id = a.camera_id
  WHERE passes.plate_id IS NOT NULL AND passes.t BETWEEN :t1 AND :t2
), s AS (
  SELECT plate_id, 'area' AS camera_id, COUNT(*) AS n FROM p GROUP BY plate_id HAVING COUNT(*) >= :min_passes
)
SELECT plates.plate, s.camera_id, s.n, p.id
FROM s JOIN p ON s.plate_id = p.plate_id JOIN plates ON s.plate_id = plates.plate_id
ORDER BY s.n DESC, plates.plate, p.t, p.id
"""

# Plates passing the cameras of >= :k scenes within their windows (scene_cameras: scene, camera, t1, t2).
# :t1/:t2 span all the scenes' windows: a filter on the pass itself, which both engines push to the
# Parquet row groups (each day file's lie within its day), so only the scenes' days are read.
AREA_COLLISION = """
WITH m AS (
  SELECT s.scene, p.plate_id, p.id, p.t
  FROM passes p JOIN scene_cameras s ON p.camera_id = s.camera_id AND p.t BETWEEN s.t1 AND s.t2
  WHERE p.plate_id IS NOT NULL AND p.t BETWEEN :t1 AND :t2
), c AS (
  SELECT plate_id, COUNT(DISTINCT scene) AS scenes FROM m GROUP BY plate_id HAVING COUNT(DISTINCT scene) >= :k
)
SELECT plates.plate, c.scenes, m.scene, m.id
FROM c JOIN m ON c.plate_id = m.plate_id JOIN plates ON c.plate_id = plates.plate_id
ORDER BY c.scenes DESC, plates.plate, m.scene, m.t, m.id
"""

# The justifying passes' details.
PASS_DETAILS = """
SELECT p.id, p.plate, p.camera_id, p.t, p.lon, p.lat, p.source
FROM passes p JOIN evidence e ON p.id = e.id
ORDER BY p.id
"""
