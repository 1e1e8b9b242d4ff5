#!/usr/bin/env python3
"""iso_convert.py - convert a fingerprint template between formats.

Reads native .hst, ISO/IEC 19794-2 (2005, 2011) or ANSI/INCITS 378 (2004,
2009) records, detected by content, and writes the format you name.

    python3 iso_convert.py INPUT OUTPUT [hst|iso19794-2|ansi378|ansi378-2009]
"""
import sys

import hotspot


def main(argv):
    if len(argv) not in (3, 4):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out_format = argv[3] if len(argv) == 4 else "iso19794-2"
    try:
        # The input is validated as hostile data; a broken file raises
        # hotspot.Error with a precise status (ERR_TRUNCATED, ERR_CORRUPT...).
        template = hotspot.FingerTemplate.load(argv[1])
    except hotspot.Error as e:
        print("%s: %s" % (argv[1], e), file=sys.stderr)
        return 1
    print("%s: %s, %d view(s)" % (argv[1], template.source_format, len(template)))
    for i, v in enumerate(template.views):
        print("  view %d: finger %d, %dx%d px at %d ppi, %d minutiae, quality %d"
              % (i, v["finger"], v["width"], v["height"], v["ppi_x"],
                 v["minutia_count"], v["quality"]))
    # Minutiae are a numpy structured array: x, y (pixels), angle (radians),
    # type, quality.
    m = template.minutiae(0)
    if len(m):
        print("  first minutia: x=%.1f y=%.1f angle=%.3f rad" % (m["x"][0], m["y"][0], m["angle"][0]))
    try:
        # Written atomically (temporary file renamed over the target).
        template.save(argv[2], out_format)
    except hotspot.Error as e:
        print("%s: %s" % (argv[2], e), file=sys.stderr)
        return 2 if e.status == hotspot.ERR_INVALID_ARG else 1
    print("wrote %s as %s" % (argv[2], out_format))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
