"""Where an order goes, as coordinates: the address's own, else the centre of its region
or country from ``data/centroids.csv`` (static facts, read once per process)."""

from __future__ import annotations

import csv
from functools import cache
from importlib.resources import files

from ordermesh.sourcing.model import Destination


@cache
def centroids() -> dict[str, tuple[float, float]]:
    """``{"DE": (51.17, 10.45), "US-CA": (36.78, -119.42), ...}``"""
    text = files("ordermesh.sourcing").joinpath("data/centroids.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {r["code"]: (float(r["latitude"]), float(r["longitude"])) for r in rows}


def destination(address: dict | None, pickup_location_id: str | None = None) -> Destination:
    if pickup_location_id is not None:
        return Destination(pickup_location_id=pickup_location_id, basis="pick-up")
    if not address:
        return Destination()
    country = (address.get("country") or "").upper() or None
    region = address.get("region")
    lat, lon = address.get("latitude"), address.get("longitude")
    if lat is not None and lon is not None:
        return Destination(country, region, float(lat), float(lon), "address")
    probe = Destination(country, region)
    table = centroids()
    if probe.region_code and probe.region_code in table:
        lat, lon = table[probe.region_code]
        return Destination(country, region, lat, lon, "region centroid")
    if country and country in table:
        lat, lon = table[country]
        return Destination(country, region, lat, lon, "country centroid")
    return Destination(country, region)
