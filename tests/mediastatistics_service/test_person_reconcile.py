"""Reconciliation keeps a person's totals exact: rewriting a title moves its people's totals."""

from __future__ import annotations

from tests.helpers import identity
from tests.mediastatistics_service.test_reconcile import (  # noqa: F401 - the fixture
    ANN,
    deployment,
    run_http,
    sql,
)

# An event about Ann's entry of title 1 (watching, rated 1) lost everywhere it counted.
LOST = [
    f"DELETE FROM person_status WHERE person = '{ANN}' AND media_id = 1",
    f"DELETE FROM person_rating WHERE person = '{ANN}' AND media_id = 1",
    "UPDATE media_stats SET watching = watching - 1, rating_count = rating_count - 1, "
    "rating_sum = rating_sum - 1, rating_1 = rating_1 - 1 WHERE media_id = 1",
    f"DELETE FROM audience_status WHERE person = '{ANN}' AND media_id = 1",
    f"DELETE FROM audience_rating WHERE person = '{ANN}' AND media_id = 1",
    "UPDATE person_totals SET watching = watching - 1, movie = movie - 1, "
    "rating_count = rating_count - 1, rating_sum = rating_sum - 1, rating_1 = rating_1 - 1 "
    f"WHERE person = '{ANN}' AND audience = 'owner'",
]


def owner_stats(app, person):
    return app.test_client().get(f"/users/{person}/stats", headers=identity(person)).get_json()


def test_reconciliation_brings_back_a_persons_lost_title(deployment):  # noqa: F811
    app, _, _ = deployment()
    exact = owner_stats(app, ANN)
    assert exact["statuses"]["watching"] == 6 and exact["ratingDistribution"]["1"] == 1
    for statement in LOST:
        sql(app, statement)
    lost = owner_stats(app, ANN)
    assert (lost["statuses"]["watching"], lost["byType"]["movie"], lost["ratingCount"]) == (5, 5, 5)

    assert run_http(app)["mediaDiffered"] == 1
    assert owner_stats(app, ANN) == exact
    assert run_http(app)["mediaDiffered"] == 0
    assert owner_stats(app, ANN) == exact
