/*
 * watchlist_search.c - 1:N search: who on the watchlist has this finger?
 *
 * Builds a watchlist in memory with one subject per gallery image (the
 * subject id is the file name), then extracts the probe finger and searches
 * it against the list. A candidate is a "hit" when the chance that an
 * unrelated person scores that high is below the false match rate asked
 * for (1e-4 per subject here).
 *
 *   watchlist_search PROBE_IMAGE GALLERY_IMAGE...
 *   exit status: 0 at least one hit, 1 no hit, 2 error
 *
 * Build: cc watchlist_search.c $(pkg-config --cflags --libs hotspot)
 */
#include <hotspot/hotspot.h>
#include <stdio.h>
#include <string.h>

/* Image file -> template of its minutiae (one view). */
static hs_template *extract(hs_ctx *ctx, hs_finger_extractor *ex, const char *path)
{
    hs_image *img = NULL;
    hs_template *t = NULL;
    hs_status s = hs_image_load(ctx, &img, path, 0);
    if (s == HS_OK)
        s = hs_finger_extract(ctx, &t, ex, img);
    if (s != HS_OK)
        fprintf(stderr, "%s: %s (%s)\n", path, hs_status_str(s), hs_ctx_last_error(ctx));
    hs_image_free(img);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s PROBE_IMAGE GALLERY_IMAGE...\n", argv[0]);
        return 2;
    }
    hs_ctx *ctx = NULL;
    hs_finger_extractor *ex = NULL;
    hs_watchlist *wl = NULL;
    hs_template *probe = NULL;
    hs_watchlist_result *res = NULL;
    int rc = 2;
    if (hs_ctx_new(&ctx, NULL) != HS_OK || hs_finger_extractor_new(ctx, &ex) != HS_OK ||
        hs_watchlist_new(ctx, &wl) != HS_OK)
        goto done;

    /* Enrol: a subject is built on its own, then copied into the list. */
    for (int i = 2; i < argc; i++) {
        hs_template *t = extract(ctx, ex, argv[i]);
        const char *id = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
        hs_watchlist_subject *subj = NULL;
        hs_status s = t ? hs_watchlist_subject_new(ctx, &subj, id) : HS_ERR_INVALID_ARG;
        if (s == HS_OK)
            s = hs_watchlist_subject_set_field(ctx, subj, HS_WATCHLIST_FIELD_CATEGORY, "example");
        if (s == HS_OK)
            s = hs_watchlist_subject_add_finger(ctx, subj, t, 0);   /* view 0 */
        if (s == HS_OK)
            s = hs_watchlist_add(ctx, wl, subj);
        hs_watchlist_subject_free(subj);   /* the list keeps its own copy */
        hs_template_free(t);
        if (s != HS_OK)
            goto done;
    }
    printf("watchlist: %llu subjects, %llu bytes\n", (unsigned long long)hs_watchlist_count(wl),
           (unsigned long long)hs_watchlist_memory_bytes(wl));

    /* Search. Options start from the documented defaults. */
    if (!(probe = extract(ctx, ex, argv[1])))
        goto done;
    hs_watchlist_search_options opts = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    opts.max_candidates = 3;
    opts.fmr = 1e-4;
    hs_status s = hs_watchlist_search(ctx, &res, wl, probe, NULL, 0 /* no face */, &opts);
    if (s != HS_OK) {
        fprintf(stderr, "search: %s (%s)\n", hs_status_str(s), hs_ctx_last_error(ctx));
        goto done;
    }
    rc = 1;
    for (uint32_t i = 0; i < hs_watchlist_result_count(res); i++) {
        hs_watchlist_candidate c = {.struct_size = sizeof c};
        if (hs_watchlist_result_candidate(res, &c, i) != HS_OK)
            break;
        /* score is -log10 of the chance that an impostor scores this high. */
        printf("%u. %-20s score %6.2f  finger similarity %.3f  %s\n", i + 1, c.id, c.score,
               c.finger_similarity[0], c.hit ? "HIT" : "");
        if (c.hit)
            rc = 0;
    }

done:
    hs_watchlist_result_free(res);   /* candidate ids point into it: free last */
    hs_template_free(probe);
    hs_watchlist_free(wl);
    hs_finger_extractor_free(ex);
    hs_ctx_free(ctx);
    return rc;
}
