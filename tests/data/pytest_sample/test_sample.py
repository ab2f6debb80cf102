import pytest

from sampleapp import events, store


def test_login_leaks():
    # Leaks one Session per run into store._SESSIONS.
    session = store.login("alice")
    assert session.user == "alice"


def test_handler_leaks():
    # Leaks a bound method (and its Handler) into events._HANDLERS.
    handler = events.Handler("h")
    events.subscribe("click", handler.on_event)
    assert handler.seen == []


def test_allocates_and_frees():
    sessions = [store.login("bob", remember=False) for _ in range(500)]
    records = [store.Record(i) for i in range(500)]
    assert len(sessions) == len(records) == 500
    del sessions, records


@pytest.fixture(scope="module")
def cache():
    return store.Cache(50)


def test_fixture_cache(cache):
    # Fills a module-scoped cache up to its bound: not a leak.
    for n in range(200):
        assert cache.get(n).n == n % 50


@pytest.mark.parametrize("n", [1, 10, 100])
def test_parametrized(n):
    records = [store.Record(i) for i in range(n)]
    assert sum(r.n for r in records) == n * (n - 1) // 2
