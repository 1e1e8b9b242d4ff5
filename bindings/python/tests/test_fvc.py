"""End to end on an FVC set from ../shared/data: extract, prepare, match;
genuine pairs must score above impostor pairs. Skipped (with the reason)
when the data or the matcher is absent."""
import itertools

import pytest

import hotspot
from conftest import built

pytestmark = built("hs_finger_extract", "hs_finger_match")


def test_fvc2002_db1_genuine_above_impostor(shared_data):
    d = shared_data / "fingerprint" / "FVC2002_DB1_B"
    files = sorted(d.glob("10[1-4]_[1-3].tif"))
    if len(files) < 12:
        pytest.skip("FVC2002_DB1_B incomplete under %s" % d)
    ex, m = hotspot.Extractor(), hotspot.Matcher()
    prepared = {}
    for f in files:
        finger, _ = f.stem.split("_")
        prepared[f.stem] = (finger, ex.extract(f).prepare())
    genuine, impostor = [], []
    for (a, (fa, pa)), (b, (fb, pb)) in itertools.combinations(prepared.items(), 2):
        (genuine if fa == fb else impostor).append(m.match(pa, pb))
    genuine.sort()
    impostor.sort()
    print("genuine median %.3f, impostor max %.3f" % (genuine[len(genuine) // 2], impostor[-1]))
    assert genuine[len(genuine) // 2] > impostor[len(impostor) // 2]
    thr = hotspot.threshold_for_fmr(1e-3)
    print("threshold(FMR 1e-3) %.3f: %d/%d genuine and %d/%d impostor pairs above"
          % (thr, sum(s >= thr for s in genuine), len(genuine),
             sum(s >= thr for s in impostor), len(impostor)))
    # Accuracy is measured by bench/ and `hotspot eval`; here only the
    # ordering: most genuine pairs must beat the best impostor's median.
    assert sum(s >= thr for s in genuine) > sum(s >= thr for s in impostor) * len(genuine) / len(impostor)
