"""Thái Nguyên geography: boundary files, point -> unit lookup, demo location sampling.

A small pure library (numpy/pandas/shapely/geopandas only). Load one `Gazetteer` per process
(`Gazetteer.load(folder)`, the folder given by the caller) and share it.
"""

from geo.lookup import Gazetteer, Hits, Location, OutsideProvince, validate_coordinates
from geo.sampling import commune_probabilities

__all__ = [
    "Gazetteer",
    "Hits",
    "Location",
    "OutsideProvince",
    "commune_probabilities",
    "validate_coordinates",
]
