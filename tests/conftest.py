"""Shared test fixtures: paths of the repository and its chapter notebooks, one torch thread."""

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def one_thread():
    """Run the test on one torch thread, then restore the previous number of threads.

    Tiny tensors train faster on one thread than on two, and far faster on a busy machine."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def pytest_collection_modifyitems(config, items):
    """Start the long tests first: the chapter runs (marked ``chapter``) and the ``long`` ones,
    latest chapter first
    (later chapters train more), each followed by one short test. pytest-xdist queues one test
    behind the one a worker is running (with ``--maxschedchunk 1``, see scripts/test.sh), so the
    test queued behind a chapter is a short one, and the two workers share the chapters."""
    def long(i):
        return i.get_closest_marker("chapter") or i.get_closest_marker("long")
    chapters = sorted((i for i in items if long(i)), key=lambda i: i.nodeid, reverse=True)
    others = [i for i in items if not long(i)]
    order = []
    for item in chapters:
        order += [item] + others[:1]
        others = others[1:]
    items[:] = order + others
