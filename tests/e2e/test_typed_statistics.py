"""Typed statistics through the gateway: movie reads, deprecated path, distribution, trending."""

import requests

from tests.e2e.support import add_media, eventually, new_media_id, personal_list, problem
from tests.helpers import sign_up


def test_list_entries_count_as_movies_with_a_distribution_and_trend(gateway, user, other):
    people = [user, other, sign_up(gateway, "Cleo"), sign_up(gateway, "Dan")]
    media = new_media_id()
    for api, rating in zip(people, (7, 7, 9, None), strict=True):
        rated = {} if rating is None else {"rating": rating}
        add_media(api, f"/watchlists/{personal_list(api)}", media, status="added", **rated)
        add_media(api, f"/watchlists/{personal_list(api)}", media, status="watching")

    def typed() -> dict:
        response = requests.get(f"{gateway}/mediastatistics/movie/{media}", timeout=10)
        body = response.json()
        assert (body["mediaType"], body["added"], body["watching"]) == ("movie", 4, 4)
        return body

    body = eventually(typed)
    assert body["ratingDistribution"] == {str(r): {7: 2, 9: 1}.get(r, 0) for r in range(1, 11)}

    old = requests.get(f"{gateway}/mediastatistics/{media}", timeout=10)
    assert old.status_code == 200 and old.headers["Deprecation"].startswith("@")
    assert old.headers["Link"] == f'</mediastatistics/movie/{media}>; rel="successor-version"'
    assert old.json() == body
    series = requests.get(f"{gateway}/mediastatistics/tv/{media}", timeout=10).json()
    assert series["total"] == 0

    trend = requests.get(
        f"{gateway}/mediastatistics/trending?period=day&mediaType=movie&limit=100", timeout=10
    )
    assert trend.status_code == 200
    mine = [i for i in trend.json()["items"] if i["mediaId"] == media]
    assert mine == [{"mediaType": "movie", "mediaId": media, "adds": 4, "starts": 4, "score": 8}]


def test_bad_types_and_ids_are_problems_through_the_gateway(gateway):
    problem(requests.get(f"{gateway}/mediastatistics/book/5", timeout=10), 404)
    problem(requests.get(f"{gateway}/mediastatistics?ids=book:5", timeout=10), 422)
    problem(requests.get(f"{gateway}/mediastatistics/trending?period=year", timeout=10), 422)
