"""Thái Nguyên geography: boundary files, point -> unit lookup, demo location sampling.

A small pure library (numpy/pandas/shapely/geopandas only). Load one `Gazetteer` per process
(`Gazetteer.load(find_geo_dir(os.environ.get("IOC_GEO_DIR")))`) and share it.
"""

from geo.boundaries import find_geo_dir
from geo.lookup import Gazetteer, Hits, Location, OutsideProvince, validate_coordinates
from geo.sampling import commune_probabilities

__all__ = [
    "Gazetteer",
    "Hits",
    "Location",
    "OutsideProvince",
    "commune_probabilities",
    "find_geo_dir",
    "validate_coordinates",
]
