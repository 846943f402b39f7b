"""Metric nearest-neighbour search over a few hundred reference points.

The province spans ~1.4° of latitude, so a local equirectangular projection centred on it
(the same centre as the boundary README's LAEA, 21.7 N 105.85 E) keeps distances within
~1 % of the true ones. That is plenty to pick the nearest commune point, and it is a pure
numpy expression (no pyproj round trip for a million points).
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
ORIGIN_LON = 105.85
ORIGIN_LAT = 21.7
METRES_PER_DEG_LAT = EARTH_RADIUS_M * np.pi / 180.0
METRES_PER_DEG_LON = METRES_PER_DEG_LAT * float(np.cos(np.radians(ORIGIN_LAT)))

# Elements of the (points x candidates) distance block computed at once: keeps memory flat.
_BLOCK_ELEMENTS = 1 << 21


def to_local_xy(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project lon/lat degrees to metres east/north of the province centre."""
    x = (np.asarray(lon, dtype=np.float64) - ORIGIN_LON) * METRES_PER_DEG_LON
    y = (np.asarray(lat, dtype=np.float64) - ORIGIN_LAT) * METRES_PER_DEG_LAT
    return x, y


def nearest_index(px: np.ndarray, py: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Index into (cx, cy) of the nearest candidate for every query point (ties: lowest index).

    Brute force in blocks: with at most ~100 candidates this beats building a tree, and the
    result for a point does not depend on which other points are in the batch.
    """
    if len(cx) == 0:
        raise ValueError("Không có điểm tham chiếu nào để tìm điểm gần nhất.")
    n = len(px)
    out = np.empty(n, dtype=np.intp)
    step = max(1, _BLOCK_ELEMENTS // len(cx))
    for start in range(0, n, step):
        stop = min(start + step, n)
        dx = px[start:stop, None] - cx[None, :]
        dy = py[start:stop, None] - cy[None, :]
        dx *= dx
        dy *= dy
        dx += dy
        out[start:stop] = np.argmin(dx, axis=1)
    return out
