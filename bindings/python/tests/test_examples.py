"""The Python examples in examples/*.py run and exit as documented."""
import os
import pathlib
import subprocess
import sys

import pytest

import hotspot
from conftest import built

EXAMPLES = pathlib.Path(os.environ.get("HS_SOURCE_DIR", pathlib.Path(__file__).parents[3])) / "examples"


def run(script, *args, env=None):
    p = subprocess.run([sys.executable, str(EXAMPLES / script), *map(str, args)],
                       capture_output=True, text=True, timeout=300, env=env)
    print(p.stdout, p.stderr)
    return p


@built("hs_template_load", "hs_template_save")
def test_iso_convert(tmp_path):
    src = EXAMPLES / "data" / "synthetic.hst"
    p = run("iso_convert.py", src, tmp_path / "t.iso")
    assert p.returncode == 0 and "30 minutiae" in p.stdout
    assert hotspot.FingerTemplate.load(tmp_path / "t.iso").source_format == "iso19794-2"
    assert run("iso_convert.py", tmp_path / "t.iso", tmp_path / "t.ansi", "ansi378").returncode == 0
    assert run("iso_convert.py", src, tmp_path / "x", "nosuchformat").returncode == 2
    (tmp_path / "junk").write_bytes(b"junk")
    assert run("iso_convert.py", tmp_path / "junk", tmp_path / "y").returncode == 1
    assert run("iso_convert.py").returncode == 2


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Synthetic fingerprint PNGs (generated, no real data): {(finger, impression): path}."""
    if not hasattr(hotspot.capi, "hs_synth_impression"):
        pytest.skip("no hs_synth in this libhotspot build")
    d = tmp_path_factory.mktemp("synth")
    gen = hotspot.Synth(2026)
    files = {}
    for f in range(3):
        m = gen.master(f)
        for i in range(2):
            img, _ = gen.impression(m, i)
            files[f, i] = d / ("%d_%d.png" % (f, i))
            img.save(files[f, i])
    return files


@built("hs_finger_extract", "hs_finger_match")
def test_enroll_and_verify(synthetic, tmp_path):
    assert run("enroll_and_verify.py").returncode == 2
    assert run("enroll_and_verify.py", tmp_path / "no.png", tmp_path / "no.png").returncode == 2
    p = run("enroll_and_verify.py", synthetic[0, 0], synthetic[0, 1])
    assert p.returncode == 0 and "MATCH" in p.stdout


@built("hs_finger_extract", "hs_watchlist_search")
def test_watchlist_search(synthetic):
    assert run("watchlist_search.py").returncode == 2
    p = run("watchlist_search.py", synthetic[1, 1], *[synthetic[f, 0] for f in range(3)])
    assert p.returncode == 0
    first = [line for line in p.stdout.splitlines() if line.startswith("1. ")][0]
    assert "1_0.png" in first and "HIT" in first


@built("hs_face_embed")
def test_face_compare(shared_data):
    assert run("face_compare.py").returncode == 2
    models, att = shared_data / "face" / "models", shared_data / "face" / "att_faces"
    p = run("face_compare.py", models / "fr_feature.onnx", att / "s1" / "1.pgm", att / "s1" / "2.pgm")
    if p.returncode == 2 and "not built" in p.stderr:
        pytest.skip("face engine not built into this libhotspot")
    assert p.returncode == 0 and "same person" in p.stdout
    p = run("face_compare.py", models / "fr_feature.onnx", att / "s1" / "1.pgm", att / "s2" / "1.pgm",
            models / "face_detection_yunet_2022mar.onnx")
    assert p.returncode == 1 and "different people" in p.stdout
    # Two images only: the default models, found through HOTSPOT_FACE_MODELS.
    cache = os.environ.get("HS_MODEL_CACHE")
    if not cache or not os.path.isfile(os.path.join(cache, "fr_feature.onnx")):
        pytest.skip("default face models not in %s (run tools/setup.sh)" % cache)
    env = dict(os.environ, HOTSPOT_FACE_MODELS=cache)
    p = run("face_compare.py", att / "s1" / "1.pgm", att / "s1" / "2.pgm", env=env)
    assert p.returncode == 0 and "same person" in p.stdout
