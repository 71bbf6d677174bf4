"""Reconciliation: counters rebuilt from the list services' counts, without racing events."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import uuid

import pytest
from flask import Flask, request
from sqlalchemy import text

from mediastatistics_service.models import db
from servicekit.relay import OutboxRelay, producer_config
from tests.helpers import (
    ROOT,
    assert_problem,
    credential_caller,
    identity,
    service_headers,
    service_key_env,
)
from tests.mediastatistics_service.support import Ledger, drain, produce

MEDIA = [1, 2, 3, 4, 5, 6]


def stand_in_list_service(*versions: dict[int, dict]) -> Flask:
    """Stand-in for a list service's `/internal/person-counts`: fixed answers, two per page.

    Each full pass (a call with `after=0`) answers from the next version, the last one
    repeating, so a test can change the counts between reconciliation's two passes.
    """
    app = Flask("stand-in-list-service")
    passes = [0]

    @app.get("/internal/person-counts")
    def person_counts():
        token = request.headers.get("X-Service-Token", "")
        if credential_caller(token, "watchlist") != "mediastatistics" and (
            credential_caller(token, "friendswatchlist") != "mediastatistics"
        ):
            return {"title": "Forbidden"}, 403
        after = int(request.args["after"])
        if after == 0:
            passes[0] += 1
        counts = versions[min(passes[0], len(versions)) - 1]
        page = min(int(request.args["limit"]), 2)
        ids = sorted(m for m in counts if m > after)
        return {
            "items": [counts[m] for m in ids[:page]],
            "nextAfter": ids[page - 1] if len(ids) > page else None,
        }

    return app


# Fixed people, so two ledgers built by `scripted_ledger` name the same persons.
ANN, BEN, CAT = (str(uuid.UUID(int=i)) for i in (1, 2, 3))


def scripted_ledger() -> Ledger:
    ledger = Ledger()
    for media_id in MEDIA:
        ledger.add(media_id, "watching", media_id, person=ANN)
        ledger.add(media_id, "watched", None, source="friendswatchlist", person=BEN)
    key = ledger.add(1, "added", 4, source="friendswatchlist", person=CAT)
    ledger.update(key, status="dropped", rating=8)
    ledger.remove(ledger.add(2, "on_hold", person=CAT))
    # Ann holds media 3 in a second list too: one person, counted once.
    ledger.add(3, "watching", 2, person=ANN)
    return ledger


@pytest.fixture
def deployment(make_app, stats_env, live_server, kafka_bootstrap):
    """Factory: the service with stand-in list services, its events applied, counters exact."""

    def make(watchlist=None, friendswatchlist=None, **settings):
        ledger = scripted_ledger()
        urls = {
            "WATCHLIST_SERVICE_URL": live_server(
                stand_in_list_service(*(watchlist or [ledger.person_counts("watchlist")]))
            ).url,
            "FRIENDSWATCHLIST_SERVICE_URL": live_server(
                stand_in_list_service(
                    *(friendswatchlist or [ledger.person_counts("friendswatchlist")])
                )
            ).url,
        }
        app = make_app("mediastatistics_service", **stats_env, **urls, **settings)
        from mediastatistics_service.worker import build_consumer

        loop = build_consumer(app)
        produce(kafka_bootstrap, stats_env["KAFKA_TOPIC_PREFIX"], ledger.events)
        drain(loop, len(ledger.events))
        loop.close()
        return app, ledger, urls

    return make


def sql(app, statement: str):
    with app.app_context():
        result = db.session.execute(text(statement))
        db.session.commit()
        return result


def exact(app, ledger: Ledger, media_ids) -> bool:
    client = app.test_client()
    for media_id in media_ids:
        body = client.get(f"/mediastatistics/{media_id}").get_json()
        body.pop("updatedAt")
        if body != ledger.expected(media_id):
            return False
    return True


TAMPER = [
    "UPDATE media_stats SET watching = watching + 5 WHERE media_id = 1",
    "DELETE FROM media_stats WHERE media_id = 2",
    "UPDATE media_stats SET rating_sum = 1, rating_count = 7 WHERE media_id = 3",
    "INSERT INTO media_stats (media_id, added) VALUES (999, 3)",
]


def run_cli(app, urls, stats_env, service_env) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env |= service_env | service_key_env("mediastatistics") | stats_env | urls
    done = subprocess.run(
        [sys.executable, "-m", "mediastatistics_service.reconcile"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def run_http(app, *_) -> dict:
    response = app.test_client().post(
        "/internal/reconcile", headers=service_headers("mediastatistics", "mediastatistics")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize("run", [run_http, run_cli], ids=["endpoint", "command"])
def test_reconciliation_repairs_tampered_counters(deployment, stats_env, service_env, run):
    app, ledger, urls = deployment()
    for statement in TAMPER:
        sql(app, statement)
    assert not exact(app, ledger, [*MEDIA, 999])
    outcome = run(app, urls, stats_env, service_env)
    assert outcome == {"mediaCompared": 7, "mediaDiffered": 4, "mediaUnsettled": 0}
    assert exact(app, ledger, [*MEDIA, 999])
    assert run(app, urls, stats_env, service_env)["mediaDiffered"] == 0


def test_media_whose_source_counts_change_between_passes_is_left_alone(deployment):
    ledger = scripted_ledger()
    first = ledger.person_counts("watchlist")
    second = copy.deepcopy(first)
    second[4]["people"][0]["dropped"] += 1  # an entry added while reconciliation ran
    app, ledger, _ = deployment(watchlist=[first, second])
    sql(app, TAMPER[0])
    sql(app, "UPDATE media_stats SET watched = 9 WHERE media_id = 4")
    outcome = run_http(app)
    assert outcome == {"mediaCompared": 6, "mediaDiffered": 1, "mediaUnsettled": 1}
    assert sql(app, "SELECT watched FROM media_stats WHERE media_id = 4").scalar_one() == 9
    assert exact(app, ledger, [1])


def test_media_the_consumer_touched_during_reconciliation_is_left_alone(deployment):
    app, _, _ = deployment()
    sql(
        app,
        "UPDATE media_stats SET watching = 50, updated_at = now() + interval '1 hour' "
        "WHERE media_id = 5",
    )
    assert run_http(app) == {"mediaCompared": 6, "mediaDiffered": 0, "mediaUnsettled": 1}
    assert sql(app, "SELECT watching FROM media_stats WHERE media_id = 5").scalar_one() == 50


def test_reconciliation_refuses_while_the_consumer_is_behind(
    deployment, stats_env, kafka_bootstrap
):
    app, ledger, _ = deployment(WLT_RECONCILE_CATCHUP_TIMEOUT_S="0.3")
    produce(kafka_bootstrap, stats_env["KAFKA_TOPIC_PREFIX"], [b"not applied yet"])
    sql(app, TAMPER[0])
    response = app.test_client().post(
        "/internal/reconcile", headers=service_headers("mediastatistics", "mediastatistics")
    )
    assert_problem(response, 503)
    assert sql(app, "SELECT watching FROM media_stats WHERE media_id = 1").scalar_one() == 6


@pytest.mark.parametrize(
    "answer",
    [
        {"items": "nope"},
        {"items": [{"mediaId": 1}]},
        {"items": [{"mediaId": -1, "people": []}]},
        {"items": [{"mediaId": 1, "people": [{"userId": "u", "added": 1}]}]},
        {"items": [{"mediaId": 1, "people": [{"userId": "u", "added": -1, "ratings": []}]}]},
    ],
)
def test_unusable_source_answer_is_503_and_changes_nothing(
    make_app, stats_env, live_server, answer
):
    bad = Flask("stand-in-broken-list-service")
    bad.get("/internal/person-counts")(lambda: answer)
    good = live_server(stand_in_list_service({})).url
    app = make_app(
        "mediastatistics_service",
        **stats_env,
        WATCHLIST_SERVICE_URL=live_server(bad).url,
        FRIENDSWATCHLIST_SERVICE_URL=good,
    )
    sql(app, "INSERT INTO media_stats (media_id, added) VALUES (1, 3)")
    response = app.test_client().post(
        "/internal/reconcile", headers=service_headers("mediastatistics", "mediastatistics")
    )
    assert_problem(response, 503)
    assert sql(app, "SELECT added FROM media_stats WHERE media_id = 1").scalar_one() == 3


@pytest.mark.parametrize("headers", [{}, {"X-Service-Token": "wrong"}])
def test_reconcile_needs_the_service_credential(client, headers):
    assert_problem(client.post("/internal/reconcile", headers=headers), 403)


def test_reconciliation_against_the_real_watchlist_service(
    make_app, stats_env, live_server, kafka_bootstrap, create_database
):
    prefix = stats_env["KAFKA_TOPIC_PREFIX"]
    tag = uuid.uuid4().hex[:6]
    watchlist = make_app(
        "watchlist_service",
        KAFKA_TOPIC_PREFIX=prefix,
        DATABASE_URL=create_database("watchlist_service", f"_stats{tag}"),
    )
    shared = make_app(
        "friendswatchlist_service",
        KAFKA_TOPIC_PREFIX=prefix,
        DATABASE_URL=create_database("friendswatchlist_service", f"_stats{tag}"),
    )
    owner = identity(uuid.uuid4())
    lists = watchlist.test_client()
    list_id = lists.post("/watchlists", json={"name": "Mine"}, headers=owner).get_json()["listId"]
    for media_id, status, rating in [(11, "watching", 7), (12, "watched", None), (11, "added", 3)]:
        other = lists.post("/watchlists", json={"name": "x"}, headers=owner).get_json()["listId"]
        target = list_id if media_id == 12 else other
        body = {"mediaId": media_id, "status": status, "rating": rating}
        response = lists.post(f"/watchlists/{target}/media", json=body, headers=owner)
        assert response.status_code == 201, response.get_json()
    from confluent_kafka import Producer

    with watchlist.app_context():
        from watchlist_service.models import outbox

        relay = OutboxRelay(
            db_engine(watchlist), outbox, Producer(producer_config(kafka_bootstrap)),
            topic_prefix=prefix,
        )  # fmt: skip
        assert relay.publish_batch() == 3
    app = make_app(
        "mediastatistics_service",
        **stats_env,
        WATCHLIST_SERVICE_URL=live_server(watchlist).url,
        FRIENDSWATCHLIST_SERVICE_URL=live_server(shared).url,
    )
    from mediastatistics_service.worker import build_consumer

    loop = build_consumer(app)
    drain(loop, 3)
    loop.close()
    sql(
        app,
        "UPDATE media_stats SET watching = 0, rating_count = 1, rating_sum = 3 WHERE media_id = 11",
    )
    assert run_http(app) == {"mediaCompared": 2, "mediaDiffered": 1, "mediaUnsettled": 0}
    stats = app.test_client().get("/mediastatistics/11").get_json()
    # One person: once watching, once added, and one rating, the latest they gave (3).
    assert (stats["watching"], stats["added"], stats["ratingCount"], stats["ratingAverage"]) == (
        1, 1, 1, 3.0,
    )  # fmt: skip


def db_engine(app):
    """The engine of another service's app (inside its app context)."""
    return app.extensions["sqlalchemy"].engine


def test_reconciliation_rebuilds_tampered_person_rows(deployment, stats_env, kafka_bootstrap):
    app, ledger, _ = deployment()
    sql(app, "DELETE FROM person_status WHERE media_id = 4")  # counters alone look right
    sql(app, "UPDATE person_status SET n = 5 WHERE media_id = 3")
    sql(app, "UPDATE person_rating SET rating = 1 WHERE media_id = 5")  # a rating nobody gave
    outcome = run_http(app)
    assert outcome == {"mediaCompared": 6, "mediaDiffered": 3, "mediaUnsettled": 0}
    assert exact(app, ledger, MEDIA)
    # The rebuilt rows carry on: later events apply on top of them, none refused.
    start = len(ledger.events)
    for key in [k for k in ledger.entries if k[2] in (3, 4)]:
        ledger.remove(key)
    produce(kafka_bootstrap, stats_env["KAFKA_TOPIC_PREFIX"], ledger.events[start:])
    from mediastatistics_service.worker import build_consumer

    loop = build_consumer(app)
    drain(loop, len(ledger.events) - start)
    loop.close()
    assert exact(app, ledger, MEDIA)
    assert sql(app, "SELECT count(*) FROM dead_letters").scalar_one() == 0


def test_reconciliation_repairs_a_tampered_rating_distribution(deployment):
    app, ledger, _ = deployment()
    sql(app, "UPDATE media_stats SET rating_7 = rating_7 + 4, rating_1 = 2 WHERE media_id = 6")
    assert not exact(app, ledger, [6])
    assert run_http(app)["mediaDiffered"] == 1
    assert exact(app, ledger, MEDIA)
    body = app.test_client().get("/mediastatistics/movie/6").get_json()
    assert body["ratingDistribution"] == {str(r): int(r == 6) for r in range(1, 11)}


def test_a_source_row_with_a_media_type_reconciles_that_title(deployment):
    counts = scripted_ledger().person_counts("watchlist")
    typed = {m: {**item, "mediaType": "tv"} if m == 6 else item for m, item in counts.items()}
    app, ledger, _ = deployment(watchlist=[typed])
    # The events were about the movie 6; the source now says its watchlist entries are a
    # series: the movie keeps only the other service's people, the series gets these.
    run_http(app)
    client = app.test_client()
    series = client.get("/mediastatistics/tv/6").get_json()
    film = client.get("/mediastatistics/movie/6").get_json()
    assert (series["watching"], series["watched"], series["ratingCount"]) == (1, 0, 1)
    assert (film["watching"], film["watched"], film["ratingCount"]) == (0, 1, 0)


def test_an_unknown_media_type_in_a_source_row_is_503(deployment):
    counts = scripted_ledger().person_counts("watchlist")
    bad = {m: {**item, "mediaType": "book"} for m, item in counts.items()}
    app, ledger, _ = deployment(watchlist=[bad])
    sql(app, "UPDATE media_stats SET watching = 40 WHERE media_id = 1")
    response = app.test_client().post(
        "/internal/reconcile", headers=service_headers("mediastatistics", "mediastatistics")
    )
    assert_problem(response, 503)
    assert sql(app, "SELECT watching FROM media_stats WHERE media_id = 1").scalar_one() == 40
