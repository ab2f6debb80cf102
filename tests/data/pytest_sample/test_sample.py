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


def test_pytest_fixtures(tmp_path, capsys):
    # pytest's own bookkeeping grows here (tmp_path_factory, a session
    # fixture, keeps a finalizer per use): not the test's leak.
    (tmp_path / "note.txt").write_text("x")
    print("hello")
    assert capsys.readouterr().out == "hello\n"


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
