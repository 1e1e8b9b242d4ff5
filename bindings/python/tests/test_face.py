"""Face embeddings (always built) and hotspot.FaceEngine (OpenCV builds,
with the models of ../shared/data/face/models)."""
import os

import numpy as np
import pytest

import hotspot
from conftest import built

pytestmark = built("hs_face_embedding_encode", "hs_face_engine_free")


def _vec(seed, dim=128):
    return np.random.default_rng(seed).normal(size=dim).astype(np.float32)


def test_similarity_accepts_vectors_of_any_kind():
    a, b = _vec(1), _vec(2)
    assert hotspot.face_similarity(a, a) == pytest.approx(1.0, abs=1e-6)
    assert hotspot.face_similarity(a, -a) == pytest.approx(-1.0, abs=1e-6)
    s = hotspot.face_similarity(a, b)
    for x in (a.tolist(), a.tobytes(), memoryview(a), a.astype(np.float64)):
        assert hotspot.face_similarity(x, b) == pytest.approx(s, abs=1e-6)


def test_embedding_records():
    a = _vec(3)
    v, model = hotspot.decode_embedding(hotspot.encode_embedding(a, hotspot.FACE_MODEL_ARCFACE))
    assert model == hotspot.FACE_MODEL_ARCFACE and v.dtype == np.float32 and len(v) == 128
    assert np.allclose(v, a / np.linalg.norm(a), atol=1e-6)
    q = hotspot.encode_embedding(a, kind=hotspot.FACE_ENC_Q8)
    assert len(q) < len(hotspot.encode_embedding(a))
    assert float(np.dot(hotspot.decode_embedding(q)[0], a / np.linalg.norm(a))) > 0.999


def test_thresholds():
    t3 = hotspot.face_threshold_for_fmr(hotspot.FACE_MODEL_MOBILEFACENET, 1e-3)
    t2 = hotspot.face_threshold_for_fmr(hotspot.FACE_MODEL_MOBILEFACENET, 1e-2)
    assert -1 < t2 <= t3 < 1
    with pytest.raises(hotspot.Error) as ei:
        hotspot.face_threshold_for_fmr(hotspot.FACE_MODEL_CUSTOM, 1e-3)
    assert ei.value.status == hotspot.ERR_UNSUPPORTED


def test_embedding_errors():
    with pytest.raises(ValueError):
        hotspot.face_similarity(_vec(1, 128), _vec(2, 64))
    with pytest.raises(hotspot.Error) as ei:
        hotspot.face_similarity(np.zeros(8, np.float32), _vec(1, 8))
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(hotspot.Error):
        hotspot.face_similarity(np.full(8, np.nan, np.float32), _vec(1, 8))
    with pytest.raises(TypeError):
        hotspot.face_similarity("face", _vec(1))
    with pytest.raises(ValueError):
        hotspot.face_similarity(b"abc", b"abc")
    blob = bytearray(hotspot.encode_embedding(_vec(4)))
    blob[-1] ^= 1
    with pytest.raises(hotspot.Error) as ei:
        hotspot.decode_embedding(blob)
    assert ei.value.status in (hotspot.ERR_CHECKSUM, hotspot.ERR_CORRUPT)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.decode_embedding(b"HSFX....")
    assert ei.value.status in (hotspot.ERR_FORMAT, hotspot.ERR_TRUNCATED)


@pytest.fixture(scope="module")
def engine(shared_data):
    models = shared_data / "face" / "models"
    if not (models / "fr_feature.onnx").exists():
        pytest.skip("no face model at %s" % models)
    try:
        return hotspot.FaceEngine(model=models / "fr_feature.onnx",
                                  detector=models / "face_detection_yunet_2022mar.onnx")
    except hotspot.Error as e:
        if e.status == hotspot.ERR_NOT_BUILT:
            pytest.skip("face engine: %s" % e.message)
        raise


def test_engine_detect_embed_compare(engine, shared_data):
    att = shared_data / "face" / "att_faces"
    assert engine.dim == 512 and "dim" in repr(engine)
    assert engine.model_id == hotspot.FACE_MODEL_ARCFACE      # preset from the file name
    faces = engine.detect(att / "s1" / "1.pgm")
    assert faces and "box" in repr(faces[0])
    assert faces[0].landmarks.shape == (5, 2)
    crop = engine.align(att / "s1" / "1.pgm", faces[0])
    assert crop.shape[2] == 3 and crop.dtype == np.uint8
    same = [engine.embed(att / "s1" / ("%d.pgm" % i)) for i in (1, 2)]
    other = engine.embed(att / "s2" / "1.pgm")
    assert len(same[0]) == engine.dim
    assert hotspot.face_similarity(*same) > hotspot.face_similarity(same[0], other)
    emb = engine.embed(hotspot.Image.load(att / "s1" / "1.pgm"), faces[0])
    assert hotspot.face_similarity(emb, same[0]) > 0.99
    thr = hotspot.face_threshold_for_fmr(engine.model_id, 1e-3)
    assert hotspot.face_similarity(*same) >= thr > hotspot.face_similarity(same[0], other)


def test_engine_errors(engine, tmp_path):
    assert engine.detect(hotspot.Image(200, 200, fill=128)) == []
    with pytest.raises(hotspot.Error) as ei:
        engine.embed(hotspot.Image(200, 200, fill=128))
    assert ei.value.status == hotspot.ERR_NO_FACE
    with pytest.raises(TypeError):
        engine.embed(hotspot.Image(64, 64), face="largest")
    with pytest.raises(TypeError):
        hotspot.FaceEngine(colour=1)
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FaceEngine(model=tmp_path / "missing.onnx")
    assert ei.value.status in (hotspot.ERR_MODEL, hotspot.ERR_NOT_BUILT)


def test_face_gallery_search_and_errors():
    rng = np.random.default_rng(0)
    vs = rng.normal(size=(60, 64)).astype(np.float32)
    g = hotspot.FaceGallery(64)
    for i, v in enumerate(vs):
        g.add(i % 30, v)                                  # two rows per label
    assert len(g) == 60 and g.dim == 64 and "60 embeddings" in repr(g)
    hits = g.search(vs[7], k=3)
    assert hits.dtype == hotspot.FACE_HIT_DTYPE and len(hits) == 3
    assert hits["label"][0] == 7 and hits["index"][0] == 7 and hits["score"][0] > 0.99
    assert (np.diff(hits["score"]) <= 0).all()
    one = g.search(vs[7], k=30, one_per_label=True, threads=2)
    assert len(set(one["label"].tolist())) == len(one)
    assert len(g.search(vs[7], k=10, min_score=0.9)) == 1
    assert g.remove(7) == 2 and len(g) == 58
    with pytest.raises(hotspot.Error) as ei:
        g.remove(7)
    assert ei.value.status == hotspot.ERR_NOT_FOUND
    with pytest.raises(hotspot.Error) as ei:
        g.add(1, np.ones(10))
    assert ei.value.status == hotspot.ERR_INVALID_ARG
    with pytest.raises(TypeError):
        g.search("probe")
    g.close()
    with pytest.raises(hotspot.ClosedError):
        g.search(vs[0])


def _default_models():
    """The default model set: tools/setup.sh's cache (HS_MODEL_CACHE, set by
    ctest), else $HOTSPOT_FACE_MODELS; skip, saying why, without it."""
    names = ("fr_detect.onnx", "fr_landmark.onnx", "fr_feature.onnx")
    tried = []
    for d in (os.environ.get("HS_MODEL_CACHE"), os.environ.get("HOTSPOT_FACE_MODELS")):
        if d:
            tried.append(d)
            if all(os.path.isfile(os.path.join(d, n)) for n in names):
                return d
    pytest.skip("default face models not in %s (run tools/setup.sh)"
                % (", ".join(tried) or "HS_MODEL_CACHE/HOTSPOT_FACE_MODELS (unset)"))


def test_engine_defaults(shared_data, monkeypatch):
    d = _default_models()
    monkeypatch.setenv("HOTSPOT_FACE_MODELS", d)
    try:
        engine = hotspot.FaceEngine()
    except hotspot.Error as e:
        if e.status == hotspot.ERR_NOT_BUILT:
            pytest.skip("face engine: %s" % e.message)
        raise
    assert engine.dim == 512 and engine.model_id == hotspot.FACE_MODEL_FR_FEATURE
    att = shared_data / "face" / "att_faces"
    faces = engine.detect(att / "s1" / "1.pgm")
    assert len(faces) == 1
    same = [engine.embed(att / "s1" / ("%d.pgm" % i)) for i in (1, 2)]
    other = engine.embed(att / "s2" / "1.pgm")
    thr = hotspot.face_threshold_for_fmr(hotspot.FACE_MODEL_FR_FEATURE, 1e-3)
    assert hotspot.face_similarity(*same) >= thr > hotspot.face_similarity(same[0], other)
    # models_dir wins over the variable
    monkeypatch.setenv("HOTSPOT_FACE_MODELS", "/nonexistent/hotspot-models")
    assert hotspot.FaceEngine(models_dir=d).dim == 512


def test_engine_default_search_errors(monkeypatch, tmp_path):
    monkeypatch.setenv("HOTSPOT_FACE_MODELS", str(tmp_path / "missing"))
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FaceEngine()
    if ei.value.status == hotspot.ERR_NOT_BUILT:
        pytest.skip("face engine: %s" % ei.value.message)
    assert ei.value.status == hotspot.ERR_MODEL
    assert str(tmp_path / "missing") in str(ei.value)
    monkeypatch.setenv("HOTSPOT_FACE_MODELS", str(tmp_path))
    with pytest.raises(hotspot.Error) as ei:
        hotspot.FaceEngine()
    assert ei.value.status == hotspot.ERR_MODEL
    assert str(tmp_path / "fr_detect.onnx") in str(ei.value)
