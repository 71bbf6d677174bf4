"""One account cannot inflate a title's statistics by adding it to many lists."""

from tests.e2e.support import add_media, counters, new_media_id, personal_list, stats_become
from tests.helpers import sign_up


def test_one_account_adding_a_title_to_ten_lists_counts_once(gateway):
    booster, honest = sign_up(gateway, "Booster"), sign_up(gateway, "Honest")
    media = new_media_id()
    for _ in range(10):
        add_media(
            booster, f"/watchlists/{personal_list(booster)}", media, status="watching", rating=10
        )
    add_media(honest, f"/watchlists/{personal_list(honest)}", media, status="watching", rating=2)
    stats_become(gateway, media, counters(status={"watching": 2}, ratings=(10, 2)))
