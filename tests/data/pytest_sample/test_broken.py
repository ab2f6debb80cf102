"""Only collected when a test names this file: a failing test, a fixture
that errors, and a test that passes on its first run only."""
import pytest

from sampleapp import store

_RUNS = []


def test_fails():
    assert store.Record(1).n == 2


@pytest.fixture
def broken():
    raise RuntimeError("fixture is broken")


def test_errors(broken):
    pass


def test_passes_once():
    _RUNS.append(1)
    assert len(_RUNS) == 1
