"""The staff maps' boundaries: the province outline, the areas (units dissolved by area, so
an administrator's regrouping redraws them) and the units, each feature with its kind."""

from __future__ import annotations

import json
from functools import lru_cache

from backend.services.places.catalogue import place_index
from backend.services.places.lookup import gazetteer
from geo import Gazetteer


def boundary_collection() -> bytes:
    """One FeatureCollection (UTF-8 JSON): kind `province`, `area` (code, name, full_name) and
    `unit` (code, name, area, approximate: true while the shipped approximate layer is in use)."""
    index = place_index()
    grouping = tuple(sorted(index.unit_to_area().items()))
    names = tuple((a.code, a.name, a.full_name) for a in index.areas)
    return _collection(gazetteer(), grouping, names)


@lru_cache(maxsize=4)
def _collection(gaz: Gazetteer, grouping: tuple, names: tuple) -> bytes:
    area_of = dict(grouping)
    approximate = gaz.unit_shapes.approximate
    province = json.loads(gaz.province_geojson())["features"]
    for feature in province:
        feature["properties"]["kind"] = "province"
    areas = json.loads(gaz.grouped_geojson(area_of, {
        code: {"kind": "area", "name": name, "full_name": full} for code, name, full in names}))
    units = json.loads(gaz.unit_geojson({
        code: {"kind": "unit", "area": area, "approximate": approximate}
        for code, area in area_of.items()}))
    for feature in units["features"]:
        feature["properties"].setdefault("kind", "unit")
    features = province + areas["features"] + units["features"]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")
