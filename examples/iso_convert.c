/*
 * iso_convert.c - convert a fingerprint template between formats.
 *
 * Reads any template libhotspot knows (native .hst, ISO/IEC 19794-2:2005 or
 * :2011, ANSI/INCITS 378-2004 or -2009; the format is detected from the
 * content) and writes it in the format you name.
 *
 *   iso_convert INPUT OUTPUT [FORMAT]
 *   FORMAT: hst, iso19794-2 (default), ansi378, ansi378-2009
 *
 * Build: cc iso_convert.c $(pkg-config --cflags --libs hotspot)
 */
#include <hotspot/hotspot.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: %s INPUT OUTPUT [hst|iso19794-2|ansi378|ansi378-2009]\n",
                argv[0]);
        return 2;
    }
    /* Format names map to HS_TEMPLATE_FORMAT_* values; 0 means unknown. */
    uint32_t out_format = hs_template_format_from_name(argc == 4 ? argv[3] : "iso19794-2");
    if (out_format == 0) {
        fprintf(stderr, "unknown format '%s'\n", argv[3]);
        return 2;
    }

    hs_ctx *ctx = NULL;
    hs_template *t = NULL;
    uint32_t in_format = 0;
    int rc = 1;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return 2;

    /* Load and validate: the input is treated as hostile, and a broken file
     * gives a precise status plus a message saying what and where. */
    hs_status s = hs_template_load(ctx, &t, &in_format, argv[1]);
    if (s != HS_OK) {
        fprintf(stderr, "%s: %s (%s)\n", argv[1], hs_status_str(s), hs_ctx_last_error(ctx));
        goto done;
    }

    /* Describe what was read: one line per finger view. */
    printf("%s: %s, %u view(s)\n", argv[1], hs_template_format_name(in_format),
           hs_template_view_count(t));
    for (uint32_t v = 0; v < hs_template_view_count(t); v++) {
        hs_view_info info = {.struct_size = sizeof info};   /* structs that grow carry their size */
        if (hs_template_view_info(t, &info, v) == HS_OK)
            printf("  view %u: finger %u, %ux%u px at %u ppi, %u minutiae, quality %u\n", v,
                   info.finger_position, info.width, info.height, info.ppi_x,
                   info.minutia_count, info.quality);
    }

    /* Save writes a temporary file and renames it: readers never see half a
     * file. Some conversions lose precision (ISO stores angles in 1.4 degree
     * steps) or cannot hold the template (HS_ERR_UNSUPPORTED). */
    s = hs_template_save(ctx, argv[2], t, out_format);
    if (s != HS_OK) {
        fprintf(stderr, "%s: %s (%s)\n", argv[2], hs_status_str(s), hs_ctx_last_error(ctx));
        goto done;
    }
    printf("wrote %s as %s\n", argv[2], hs_template_format_name(out_format));
    rc = 0;

done:
    hs_template_free(t);   /* wipes the minutiae */
    hs_ctx_free(ctx);
    return rc;
}
