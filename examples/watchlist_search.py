#!/usr/bin/env python3
"""watchlist_search.py - 1:N search: who on the watchlist has this finger?

Builds a watchlist with one subject per gallery image (id = file name),
saves it, loads it back, and searches the probe finger against it.

    python3 watchlist_search.py PROBE_IMAGE GALLERY_IMAGE...
    exit status: 0 at least one hit, 1 no hit, 2 error
"""
import os
import sys
import tempfile

import hotspot


def main(argv):
    if len(argv) < 3:
        print("usage: watchlist_search.py PROBE_IMAGE GALLERY_IMAGE...", file=sys.stderr)
        return 2
    extractor = hotspot.Extractor()
    try:
        # Enrol: each subject gets an id, text fields and fingers (every view
        # of a FingerTemplate is one finger); faces=[embedding] would add a face.
        with hotspot.Watchlist() as wl:
            for path in argv[2:]:
                wl.add(os.path.basename(path), fingers=extractor.extract(path),
                       fields={"category": "example"})
            print(wl)
            # Lists are saved atomically and validated completely on load.
            with tempfile.TemporaryDirectory() as tmp:
                wl.save(os.path.join(tmp, "list.hswl"))
                wl = hotspot.Watchlist.load(os.path.join(tmp, "list.hswl"))

        probe = extractor.extract(argv[1])
        # The search releases the GIL: threads may search one list at once.
        candidates = wl.search(fingers=probe, max_candidates=3, fmr=1e-4)
    except hotspot.Error as e:
        print("error:", e, file=sys.stderr)
        return 2
    for rank, c in enumerate(candidates, 1):
        # score = -log10(chance that an unrelated person scores this high)
        print("%d. %-20s score %6.2f  finger similarity %.3f  %s"
              % (rank, c.id, c.score, c.finger_similarity[0], "HIT" if c.hit else ""))
    return 0 if any(c.hit for c in candidates) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
