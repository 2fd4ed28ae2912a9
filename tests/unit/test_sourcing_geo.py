"""Where an order goes, as coordinates: the address's own, else a region or country centre."""

import pycountry

from ordermesh.sourcing.geo import centroids, destination


def test_every_iso_country_and_the_listed_subdivisions_have_a_centre():
    table = centroids()
    assert all(c.alpha_2 in table for c in pycountry.countries)
    for country in ("CA", "IN", "AU"):
        assert all(s.code in table for s in pycountry.subdivisions.get(country_code=country))
    us_states = [s for s in pycountry.subdivisions.get(country_code="US")
                 if s.type in ("State", "District")]
    assert len(us_states) == 51 and all(s.code in table for s in us_states)
    assert all(-90 <= lat <= 90 and -180 <= lon <= 180 for lat, lon in table.values())


def test_the_address_coordinates_win_over_any_centre():
    dest = destination({"country": "US", "region": "CA", "latitude": 1.5, "longitude": 2.5})
    assert (dest.latitude, dest.longitude, dest.basis) == (1.5, 2.5, "address")


def test_a_region_centre_is_used_before_the_country_centre():
    assert destination({"country": "us", "region": "ca"}).basis == "region centroid"
    assert destination({"country": "IN", "region": "IN-KA"}).region_code == "IN-KA"
    fallback = destination({"country": "DE", "region": "BY"})
    assert fallback.basis == "country centroid" and round(fallback.latitude) == 51


def test_no_address_means_no_distance_and_a_pickup_has_its_own_destination():
    assert destination(None).latitude is None
    assert destination({"country": "ZZ"}).basis == "unknown"
    assert destination({"country": "DE"}, "loc_1").pickup_location_id == "loc_1"
