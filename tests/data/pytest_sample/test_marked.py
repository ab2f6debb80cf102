"""Only collected when a test names this file: a leak gated by the marker."""
import pytest

from sampleapp import store


@pytest.mark.leakscope(max_growth=0, types=r"^sampleapp\.")
def test_marked_leak():
    store.login("carol")


@pytest.mark.leakscope(max_growth=2, types=r"^sampleapp\.")
def test_marked_within_budget():
    store.login("dave")
