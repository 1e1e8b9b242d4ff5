"""Shared fixtures of the hotspot Python tests (run by ctest as python_bindings)."""
import os
import pathlib

import numpy as np
import pytest

import hotspot


def pytest_report_header(config):
    return "hotspot %s from %s" % (hotspot.__version__, os.path.dirname(hotspot.__file__))


def pytest_collection_finish(session):
    # pytest exits 5 when nothing was collected; fail loudly instead of
    # relying on every runner to treat 5 as a failure.
    if not session.items:
        raise pytest.UsageError("no hotspot tests collected: wrong directory or broken import")


def built(*cnames):
    """Skip marker for tests needing C functions this library build lacks."""
    missing = [n for n in cnames if not hasattr(hotspot.capi, n)]
    return pytest.mark.skipif(bool(missing), reason="not in this libhotspot build yet: "
                              + ", ".join(missing))


@pytest.fixture(scope="session")
def shared_data():
    """../shared/data (HS_SHARED_DATA), or skip with the reason."""
    d = os.environ.get("HS_SHARED_DATA")
    if not d:
        d = str(pathlib.Path(__file__).resolve().parents[3] / ".." / "shared" / "data")
    p = pathlib.Path(d)
    if not (p / "fingerprint").is_dir():
        pytest.skip("shared data not found at %s (set HS_SHARED_DATA)" % p)
    return p


@pytest.fixture
def ridges():
    """A synthetic 8-bit 'fingerprint-like' pattern: concentric ridges with a
    period of about 9 pixels, 300x300, as a uint8 array."""
    y, x = np.mgrid[0:300, 0:300].astype(np.float32)
    r = np.hypot(x - 150, (y - 160) * 1.2)
    a = 128 + 100 * np.sin(r * 2 * np.pi / 9.0 + 0.3 * np.sin(x / 23.0))
    a[r > 130] = 230
    return a.astype(np.uint8)
