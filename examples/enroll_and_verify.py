#!/usr/bin/env python3
"""enroll_and_verify.py - the smallest complete fingerprint check, in Python.

Enrol one fingerprint image, verify a second one against it at a false
match rate of 1 in 10,000.

    python3 enroll_and_verify.py ENROLLED_IMAGE PROBE_IMAGE
    exit status: 0 match, 1 no match, 2 error
"""
import sys

import hotspot


def main(argv):
    if len(argv) != 3:
        print("usage: enroll_and_verify.py ENROLLED_IMAGE PROBE_IMAGE", file=sys.stderr)
        return 2
    # An extractor and a matcher hold scratch memory: make them once, reuse
    # them for every finger (one of each per thread when using threads).
    extractor = hotspot.Extractor()
    matcher = hotspot.Matcher()
    try:
        # extract() reads the file (PNG, JPEG, TIFF, ...) and returns a
        # FingerTemplate; prepare() makes it ready for fast matching.
        enrolled = extractor.extract(argv[1]).prepare()
        probe = extractor.extract(argv[2]).prepare()
    except hotspot.Error as e:
        # e.status is the C status code (e.g. hotspot.ERR_IO), and the message
        # says what went wrong and where.
        print("error:", e, file=sys.stderr)
        return 2
    # A prepared finger can be stored and loaded again without re-extracting:
    # blob = enrolled.encode(); hotspot.PreparedFinger.decode(blob)

    score = matcher.match(probe, enrolled)            # similarity in [0, 1]
    threshold = hotspot.threshold_for_fmr(1e-4)       # ~1 impostor in 10,000 above it
    verdict = "MATCH" if score >= threshold else "no match"
    print("score %.4f, threshold %.4f (FMR 1e-4): %s" % (score, threshold, verdict))
    return 0 if score >= threshold else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
