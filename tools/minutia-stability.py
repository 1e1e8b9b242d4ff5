#!/usr/bin/env python3
"""How many minutiae move when the pixels change a little.

For every image, the minutiae of the image as it is are compared with those
of a perturbed copy: cropped by X columns on the left and Y rows at the top
(what `hotspot eval --perturb crop:X,Y` does), or with +-A grey levels of
uniform noise (numpy's generator, seeded by SEED; not the same draws as
`eval --perturb noise:`). A minutia is *stable* when the perturbed template
has one within 3 px (after undoing the crop) whose direction is within 20
degrees. Printed: the share of unstable minutiae, overall and by quality.

Uses only the public Python API. Run from a build tree:

    PYTHONPATH=build/python python3 tools/minutia-stability.py \\
        --perturb crop:1,0 ../shared/data/fingerprint/FVC2004_DB1_B/*.tif

docs/accuracy.md ("Grid phase") has the figures and what they showed.
"""
import argparse
import sys

import numpy as np

import hotspot


def parse_spec(spec):
    """--perturb's value as ("crop", x, y) or ("noise", a)."""
    kind, _, arg = spec.partition(":")
    try:
        v = tuple(int(n) for n in arg.split(","))
    except ValueError:
        v = ()
    if kind == "crop" and len(v) == 2 and min(v) >= 0:
        return ("crop",) + v
    if kind == "noise" and len(v) == 1 and 0 <= v[0] <= 255:
        return ("noise",) + v
    raise argparse.ArgumentTypeError("crop:X,Y or noise:A, got %r" % spec)


def perturb(pix, spec, seed):
    """The perturbed pixels and the crop to undo (x, y)."""
    if spec[0] == "crop":
        x, y = spec[1], spec[2]
        return np.ascontiguousarray(pix[y:, x:]), x, y
    a = spec[1]
    rng = np.random.default_rng(seed)
    v = pix.astype(np.int16) + rng.integers(-a, a + 1, size=pix.shape, dtype=np.int16)
    return np.clip(v, 0, 255).astype(np.uint8), 0, 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--perturb", required=True, type=parse_spec, metavar="SPEC",
                    help="crop:X,Y or noise:A")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ppi", type=int, default=0, help="resolution of images that carry none")
    ap.add_argument("images", nargs="+")
    a = ap.parse_args()
    ex = hotspot.Extractor(default_ppi=a.ppi or 500)
    rows = []  # (stable, quality)
    for i, path in enumerate(a.images):
        img = hotspot.Image.load(path)
        pix = np.array(img.pixels, dtype=np.uint8)
        ref = ex.extract(img).minutiae()
        arr, dx, dy = perturb(pix, a.perturb, a.seed + i)
        got = ex.extract(hotspot.Image.from_array(arr, ppi=img.ppi)).minutiae()
        gx = np.asarray(got["x"], dtype=float) + dx
        gy = np.asarray(got["y"], dtype=float) + dy
        ga = np.asarray(got["angle"], dtype=float)
        for m in ref:
            d = np.hypot(gx - float(m["x"]), gy - float(m["y"]))
            da = np.abs((ga - float(m["angle"]) + np.pi) % (2 * np.pi) - np.pi)
            rows.append((bool(np.any((d <= 3.0) & (da < np.radians(20.0)))), int(m["quality"])))
    if not rows:
        raise SystemExit("no minutiae found")
    r = np.array(rows, dtype=float)
    name = "%s:%s" % (a.perturb[0], ",".join(str(v) for v in a.perturb[1:]))
    print("%s: %d images, %d minutiae, unstable %.1f %%"
          % (name, len(a.images), len(r), 100.0 * (1.0 - r[:, 0].mean())))
    for lo, hi in ((1, 40), (40, 60), (60, 80), (80, 101)):
        s = (r[:, 1] >= lo) & (r[:, 1] < hi)
        if s.any():
            print("  quality %3d-%3d: %5d minutiae, unstable %.1f %%"
                  % (lo, hi - 1, s.sum(), 100.0 * (1.0 - r[s, 0].mean())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
