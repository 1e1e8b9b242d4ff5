#!/usr/bin/env python3
"""face_compare.py - are two face photos of the same person?

Detects the largest face in each image, aligns it, computes an embedding (a
unit vector) and compares the two by cosine similarity against a threshold
for a false match rate of 1e-3.

    python3 face_compare.py IMAGE_A IMAGE_B        (the default models)
    python3 face_compare.py MODEL IMAGE_A IMAGE_B [DETECTOR.onnx]
    exit status: 0 same person, 1 different, 2 error, 3 no face found

The default models are the set tools/setup.sh fetches, found in
$HOTSPOT_FACE_MODELS or where libhotspot was installed.

Needs a libhotspot built with OpenCV (else hotspot.Error ERR_NOT_BUILT).
"""
import sys

import hotspot


def main(argv):
    if len(argv) not in (3, 4, 5):
        print("usage: face_compare.py [MODEL] IMAGE_A IMAGE_B [DETECTOR.onnx]", file=sys.stderr)
        return 2
    try:
        if len(argv) == 3:
            # No model named: the default set (detector, landmarks, embedder).
            engine = hotspot.FaceEngine()
            images = argv[1:3]
        else:
            # The model id (from the file name: sface, mobilefacenet, arcface /
            # fr_feature) selects how pixels are normalised for the network.
            # Without a detector the engine uses OpenCV's Haar cascade.
            engine = hotspot.FaceEngine(model=argv[1],
                                        detector=argv[4] if len(argv) == 5 else None)
            images = argv[2:4]
        # keep_color: networks are trained on colour photos.
        a = engine.embed(hotspot.Image.load(images[0], keep_color=True))
        b = engine.embed(hotspot.Image.load(images[1], keep_color=True))
    except hotspot.Error as e:
        print("error:", e, file=sys.stderr)
        return 3 if e.status == hotspot.ERR_NO_FACE else 2
    # Embeddings are numpy float32 vectors: store them with
    # hotspot.encode_embedding(a, engine.model_id), or add them to a Watchlist.
    score = hotspot.face_similarity(a, b)
    try:
        threshold = hotspot.face_threshold_for_fmr(engine.model_id, 1e-3)
    except hotspot.Error:
        threshold = 0.363   # not calibrated (SFace, custom): OpenCV's SFace figure
    same = score >= threshold
    print("cosine %.4f, threshold %.4f: %s" % (score, threshold,
                                               "same person" if same else "different people"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
