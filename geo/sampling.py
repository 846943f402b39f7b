"""Realistic demo report locations: many in the city wards, few in the mountain communes.

A commune is drawn with probability (its district's population share) x (its share of the
district's ward-type weights: Phường and Thị trấn count `urban_weight`, Xã 1). The point is
then jittered around the commune point (normal, tighter in urban wards) and redrawn until it
lands in the district polygon that holds the commune point. That polygon, not the CSV district,
is the target because five communes sit in stale pre-2015 polygons (README limitation 1); the
codes returned are exactly what `Gazetteer.locate_many` gives for the final point.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.lookup import Hits
from geo.nearest import METRES_PER_DEG_LAT

if TYPE_CHECKING:
    from geo.lookup import Gazetteer

URBAN_TYPES = ("Phường", "Thị trấn")
SIGMA_M = {"Phường": 600.0, "Thị trấn": 900.0}
DEFAULT_SIGMA_M = 1500.0
MAX_ROUNDS = 50  # then the few stragglers are put on the commune point itself
SAMPLE_COLUMNS = ("lon", "lat", "unit_code", "former_district_code", "former_commune_code")


def commune_probabilities(communes: pd.DataFrame, weights: pd.DataFrame | None) -> np.ndarray:
    """Probability of each legacy commune; uniform when `weights` is None.

    `weights` has district_code (or code), population and optionally urban_weight (default 1):
    `data/demo/population.csv`, its codes read as text ("058", not 58). A former district of
    the communes with no weight is an error, so a code mangled on reading cannot silently
    empty half the province.
    """
    n = len(communes)
    if weights is None:
        return np.full(n, 1.0 / n)
    code_col = "district_code" if "district_code" in weights.columns else "code"
    if code_col not in weights.columns or "population" not in weights.columns:
        raise ValueError("Bảng trọng số cần các cột district_code và population.")
    codes = weights[code_col].astype(str).str.strip().to_numpy()
    population = pd.to_numeric(weights["population"], errors="coerce").to_numpy(dtype=float)
    urban = (
        pd.to_numeric(weights["urban_weight"], errors="coerce").to_numpy(dtype=float)
        if "urban_weight" in weights.columns
        else np.ones(len(weights))
    )
    if not (np.all(np.isfinite(population)) and np.all(population >= 0)):
        raise ValueError("Dân số trong bảng trọng số phải là số không âm.")
    if not (np.all(np.isfinite(urban)) and np.all(urban > 0)):
        raise ValueError("urban_weight phải là số dương.")

    district = communes["district_code"].astype(str)
    unweighted = sorted(set(district) - set(codes))
    if unweighted:
        raise ValueError("Bảng trọng số thiếu các huyện cũ: " + ", ".join(unweighted)
                         + " (mã phải đọc dạng chữ, giữ số 0 đầu).")
    pop = district.map(dict(zip(codes, population, strict=True))).fillna(0.0).to_numpy(dtype=float)
    boost = district.map(dict(zip(codes, urban, strict=True))).fillna(1.0).to_numpy(dtype=float)
    factor = np.where(communes["ward_type"].isin(URBAN_TYPES).to_numpy(), boost, 1.0)
    within = factor / pd.Series(factor).groupby(district.to_numpy()).transform("sum").to_numpy()
    prob = pop / pop.sum() * within if pop.sum() > 0 else np.zeros(n)
    if prob.sum() <= 0:
        raise ValueError("Bảng trọng số không khớp mã huyện nào của dữ liệu xã/phường.")
    return prob / prob.sum()


def sample_points(
    gazetteer: Gazetteer, n: int, rng: np.random.Generator, weights: pd.DataFrame | None = None
) -> pd.DataFrame:
    """`n` demo report locations: columns lon, lat, unit_code, former_district_code,
    former_commune_code.

    Deterministic for a given `rng` state. Vectorised: each redraw round only touches the
    points still outside their target district.
    """
    if n < 0:
        raise ValueError("Số điểm cần sinh phải không âm.")
    communes = gazetteer.former_communes
    clon = communes["lon"].to_numpy(dtype=float)
    clat = communes["lat"].to_numpy(dtype=float)
    home = gazetteer.locate_indices(clon, clat)
    prob = commune_probabilities(communes, weights) * home.inside
    if prob.sum() <= 0:
        raise ValueError("Không có điểm xã/phường nào nằm trong tỉnh.")
    prob /= prob.sum()
    target = home.district
    sigma = communes["ward_type"].map(SIGMA_M).fillna(DEFAULT_SIGMA_M).to_numpy(dtype=float)
    deg_lon = METRES_PER_DEG_LAT * np.cos(np.radians(clat))

    pick = rng.choice(len(communes), size=n, p=prob)
    lon, lat = clon[pick], clat[pick]
    district, commune, unit = (np.full(n, -1, dtype=np.intp) for _ in range(3))
    pending = np.arange(n)
    for _ in range(MAX_ROUNDS):
        if not len(pending):
            break
        c = pick[pending]
        step = rng.standard_normal((2, len(pending))) * sigma[c]
        cand_lon = clon[c] + step[0] / deg_lon[c]
        cand_lat = clat[c] + step[1] / METRES_PER_DEG_LAT
        hits = gazetteer.locate_indices(cand_lon, cand_lat)
        ok = hits.inside & ((target[c] < 0) | (hits.district == target[c]))
        done = pending[ok]
        lon[done], lat[done] = cand_lon[ok], cand_lat[ok]
        district[done], commune[done], unit[done] = hits.district[ok], hits.commune[ok], hits.unit[ok]
        pending = pending[~ok]
    if len(pending):  # stragglers stay on their commune point (always inside its own polygon)
        c = pick[pending]
        district[pending], commune[pending], unit[pending] = (
            home.district[c],
            home.commune[c],
            home.unit[c],
        )

    frame = gazetteer.codes_frame(Hits(unit >= 0, unit, district, commune))
    frame.insert(0, "lat", lat)
    frame.insert(0, "lon", lon)
    return frame[list(SAMPLE_COLUMNS)]
