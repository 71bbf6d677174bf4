"""Shared lists of more than two: inviting several, answering, editing, removing, limits."""

import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from friendswatchlist_service.invitations import MAX_PENDING_INVITES
from friendswatchlist_service.models import MAX_PEOPLE, db
from tests.helpers import assert_problem, identity


@pytest.fixture
def people(make_user):
    """Factory: `n` new users named after their place."""
    return lambda n, prefix="P": [make_user(f"{prefix}{i}") for i in range(n)]


def members(body) -> list[tuple[str, str]]:
    """(userId, state) of each member in answer order."""
    return [(m["userId"], m["state"]) for m in body["members"]]


def invite(client, owner, list_id, user):
    return client.post(
        f"/friendswatchlists/{list_id}/members", json={"userId": str(user)}, headers=identity(owner)
    )


def test_several_friends_are_invited_and_each_answers(client, lists, people):
    ann, ben, cat, dan = people(4)
    list_id = lists.group(ann, [ben, cat, dan])
    body = lists.get(ann, list_id).get_json()
    assert body["state"] == "pending" and body["member"] is None
    assert body["invitee"]["userId"] in {str(ben), str(cat), str(dan)}
    assert sorted(members(body)) == sorted((str(p), "invited") for p in (ben, cat, dan))
    for who in (ben, cat, dan):
        invites = client.get("/friendswatchlists/invites", headers=identity(who)).get_json()
        assert [i["listId"] for i in invites["items"]] == [list_id]
        assert lists.get(who, list_id).status_code == 404  # not before accepting

    accepted = client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(cat))
    assert accepted.status_code == 200
    assert accepted.get_json()["state"] == "active"
    assert accepted.get_json()["member"] == {"userId": str(cat), "displayName": "P2"}
    assert (
        client.post(f"/friendswatchlists/{list_id}/decline", headers=identity(ben)).status_code
        == 204
    )
    assert (
        client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(dan)).status_code
        == 200
    )

    body = lists.get(ann, list_id).get_json()
    assert members(body) == [(str(cat), "active"), (str(dan), "active")]
    assert body["member"]["userId"] == str(cat) and body["invitee"] is None
    assert all(m["since"].endswith("Z") for m in body["members"])
    assert lists.get(ben, list_id).status_code == 404
    assert [i["listId"] for i in lists.overview(dan)["items"]] == [list_id]
    assert lists.overview(ben)["pendingInvites"] == 0


@pytest.mark.parametrize(
    "extra, why",
    [
        ({}, "neither"),
        ({"friendIds": []}, "empty"),
        ({"friendIds": "a"}, "not a list"),
        ({"friendIds": ["not-a-uuid"]}, "bad id"),
        ("both", "friendId and friendIds"),
        ("common", "friendIds and fromCommon"),
        ("twice", "the same friend twice"),
        ("ten", "ten friends"),
        ("self", "oneself among them"),
    ],
)
def test_a_bad_invite_list_is_422_and_creates_nothing(client, lists, people, extra, why):
    ann, ben = people(2)
    lists.befriend(ann, ben)
    bodies = {
        "both": {"friendId": str(ben), "friendIds": [str(ben)]},
        "common": {"friendIds": [str(ben)], "fromCommon": {"friendId": str(ben)}},
        "twice": {"friendIds": [str(ben), str(ben)]},
        "ten": {"friendIds": [str(ben)] + [str(p) for p in people(MAX_PEOPLE - 1)]},
        "self": {"friendIds": [str(ben), str(ann)]},
    }
    body = {"name": "Bad", **(bodies[extra] if isinstance(extra, str) else extra)}
    assert_problem(client.post("/friendswatchlists", json=body, headers=identity(ann)), 422)
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0


def test_a_list_holds_at_most_ten_people(client, lists, people):
    ann, *friends = people(MAX_PEOPLE + 1)
    list_id = lists.group(ann, friends[: MAX_PEOPLE - 2])
    tenth, eleventh = friends[MAX_PEOPLE - 2 :]
    for friend in (tenth, eleventh):
        lists.befriend(ann, friend)
    assert invite(client, ann, list_id, tenth).status_code == 201
    problem = assert_problem(invite(client, ann, list_id, eleventh), 409)
    assert "at most 10" in problem["detail"]
    # Accepting frees no seat: members count as invites do.
    client.post(f"/friendswatchlists/{list_id}/accept", headers=identity(tenth))
    assert_problem(invite(client, ann, list_id, eleventh), 409)
    assert len(lists.get(ann, list_id).get_json()["members"]) == MAX_PEOPLE - 1
    assert lists.overview(eleventh)["pendingInvites"] == 0


def _sql(app, statement: str, **values) -> None:
    with app.app_context():
        db.session.execute(text(statement), values)
        db.session.commit()


def test_the_database_refuses_an_eleventh_person_without_the_service(app, lists, people):
    ann, *friends = people(MAX_PEOPLE)
    list_id = lists.group(ann, friends)
    with pytest.raises(IntegrityError, match="ck_shared_lists_people_count"):
        _sql(
            app,
            "INSERT INTO shared_list_members (list_id, user_id, state)"
            " VALUES (:list_id, gen_random_uuid(), 'invited')",
            list_id=list_id,
        )
    assert len(lists.get(ann, list_id).get_json()["members"]) == MAX_PEOPLE - 1


def test_the_database_keeps_the_owner_out_of_the_members(app, lists, people):
    ann, ben = people(2)
    list_id = lists.active(ann, ben)
    with pytest.raises(IntegrityError, match="cannot also be its member"):
        _sql(
            app,
            "INSERT INTO shared_list_members (list_id, user_id, state)"
            " VALUES (:list_id, :ann, 'invited')",
            list_id=list_id,
            ann=ann,
        )
    with pytest.raises(IntegrityError, match="cannot also be its member"):
        _sql(
            app,
            "UPDATE shared_lists SET owner_id = :ben WHERE id = :list_id",
            ben=ben,
            list_id=list_id,
        )
    body = lists.get(ann, list_id).get_json()
    assert body["owner"]["userId"] == str(ann) and members(body) == [(str(ben), "active")]


def test_concurrent_invites_cannot_pass_ten(app, client, lists, people):
    ann, *friends = people(MAX_PEOPLE + 1)
    list_id = lists.group(ann, friends[: MAX_PEOPLE - 2])
    last_two = friends[MAX_PEOPLE - 2 :]
    for friend in last_two:
        lists.befriend(ann, friend)
    start, statuses = threading.Barrier(2), []

    def send(friend):
        own = app.test_client()
        start.wait()
        statuses.append(invite(own, ann, list_id, friend).status_code)

    threads = [threading.Thread(target=send, args=(f,)) for f in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert len(lists.get(ann, list_id).get_json()["members"]) == MAX_PEOPLE - 1


def test_only_friends_are_invited_and_a_stranger_spoils_the_whole_invite(client, lists, people):
    ann, ben, stranger = people(3)
    lists.befriend(ann, ben)
    body = {"name": "Mixed", "friendIds": [str(ben), str(stranger)]}
    assert_problem(client.post("/friendswatchlists", json=body, headers=identity(ann)), 403)
    assert lists.overview(ann)["items"] == [] and lists.overview(ben)["pendingInvites"] == 0
    list_id = lists.create(ann, ben)
    assert "friend" in assert_problem(invite(client, ann, list_id, stranger), 403)["detail"]
    assert lists.overview(stranger)["pendingInvites"] == 0


def test_who_may_invite_and_whom(client, lists, people):
    ann, ben, cat, outsider = people(4)
    list_id = lists.active(ann, ben)
    lists.befriend(ben, cat)
    lists.befriend(ann, cat)
    assert_problem(invite(client, ben, list_id, cat), 403)  # a member sees the list
    assert_problem(invite(client, outsider, list_id, cat), 404)
    assert_problem(invite(client, ann, list_id, ann), 422)
    assert "member" in assert_problem(invite(client, ann, list_id, ben), 409)["detail"]
    assert invite(client, ann, list_id, cat).status_code == 201
    assert "invited" in assert_problem(invite(client, ann, list_id, cat), 409)["detail"]


def test_unanswered_invites_stay_capped_per_owner_over_all_lists(client, lists, people):
    ann, *friends = people(MAX_PEOPLE)
    lists.group(ann, friends, "First")  # nine
    lists.group(ann, friends, "Second")  # eighteen
    room = MAX_PENDING_INVITES - 2 * len(friends)
    body = {"name": "Third", "friendIds": [str(f) for f in friends[: room + 1]]}
    assert (
        "unanswered"
        in assert_problem(client.post("/friendswatchlists", json=body, headers=identity(ann)), 409)[
            "detail"
        ]
    )
    body["friendIds"] = body["friendIds"][:room]
    assert client.post("/friendswatchlists", json=body, headers=identity(ann)).status_code == 201


def test_every_active_member_edits_entries_and_an_invitee_cannot(client, lists, people):
    ann, ben, cat, dan = people(4)
    list_id = lists.active_group(ann, [ben, cat])
    lists.befriend(ann, dan)
    invite(client, ann, list_id, dan)
    lists.add(ann, list_id, 1)
    lists.add(ben, list_id, 2)
    lists.add(cat, list_id, 3)
    for who, media in ((cat, 1), (ben, 3), (ann, 2)):
        patched = client.patch(
            f"/friendswatchlists/{list_id}/media/movie/{media}",
            json={"status": "watched"},
            headers=identity(who),
        )
        assert patched.status_code == 200
    assert_problem(
        client.post(
            f"/friendswatchlists/{list_id}/media", json={"mediaId": 4}, headers=identity(dan)
        ),
        404,
    )
    media = lists.get(cat, list_id).get_json()["media"]
    assert [(m["mediaId"], m["status"]) for m in media] == [
        (1, "watched"),
        (2, "watched"),
        (3, "watched"),
    ]


def test_a_change_of_people_changes_the_lists_etag(client, lists, people):
    ann, ben, cat = people(3)
    list_id = lists.active(ann, ben)
    lists.befriend(ann, cat)
    path = f"/friendswatchlists/{list_id}"
    tags = [lists.get(ann, list_id).headers["ETag"]]
    steps = [
        lambda: invite(client, ann, list_id, cat),
        lambda: client.post(f"{path}/accept", headers=identity(cat)),
        lambda: client.delete(f"{path}/members/{ben}", headers=identity(ann)),
    ]
    for step in steps:
        assert step().status_code < 300
        again = client.get(path, headers={**identity(ann), "If-None-Match": tags[-1]})
        assert again.status_code == 200
        tags.append(again.headers["ETag"])
    assert len(set(tags)) == len(tags)


def test_inviting_and_handing_over_make_one_name_call_each(client, lists, people, user_service):
    ann, ben, cat = people(3)
    list_id = lists.active(ann, ben)
    lists.befriend(ann, cat)
    calls = [
        lambda: invite(client, ann, list_id, cat),
        lambda: client.post(
            f"/friendswatchlists/{list_id}/owner", json={"userId": str(ben)}, headers=identity(ann)
        ),
    ]
    for call in calls:
        before = user_service.counter.batch_lookups()
        response = call()
        assert response.status_code < 300 and "degraded" not in response.get_json()
        assert user_service.counter.batch_lookups() - before == 1
        assert all(m["displayName"] for m in response.get_json()["members"])


def test_invites_page_newest_first_with_a_cursor(client, lists, people):
    ann, cat, ben = people(3)
    made = [lists.group(owner, [ben], f"L{i}") for i, owner in enumerate([ann, cat, ann, cat, ann])]
    seen, cursor = [], None
    while True:
        url = "/friendswatchlists/invites?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=identity(ben)).get_json()
        assert len(page["items"]) <= 2
        seen += [i["listId"] for i in page["items"]]
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == made[::-1]
