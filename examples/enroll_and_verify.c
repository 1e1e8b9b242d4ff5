/*
 * enroll_and_verify.c - the smallest complete fingerprint check.
 *
 * Enrol: read a fingerprint image, extract its minutiae into a template,
 * prepare it for matching. Verify: do the same with a second image and ask
 * "same finger?" at a false match rate of 1 in 10,000.
 *
 *   enroll_and_verify ENROLLED_IMAGE PROBE_IMAGE
 *   exit status: 0 match, 1 no match, 2 error
 *
 * Build: cc enroll_and_verify.c $(pkg-config --cflags --libs hotspot)
 */
#include <hotspot/hotspot.h>
#include <stdio.h>

/* Image file -> prepared finger. Every libhotspot call returns a status;
 * on failure the context holds a detailed message. */
static hs_status load_finger(hs_ctx *ctx, hs_finger_extractor *ex, const char *path,
                             hs_finger_prepared **out)
{
    hs_image *img = NULL;
    hs_template *tmpl = NULL;
    hs_status s = hs_image_load(ctx, &img, path, 0);       /* PNG, JPEG, TIFF, ... */
    if (s == HS_OK)
        s = hs_finger_extract(ctx, &tmpl, ex, img);        /* minutiae */
    if (s == HS_OK)
        s = hs_finger_prepare(ctx, out, tmpl, 0);          /* view 0, ready to match */
    if (s != HS_OK)
        fprintf(stderr, "%s: %s (%s)\n", path, hs_status_str(s), hs_ctx_last_error(ctx));
    /* The prepared finger is independent of the image and the template. */
    hs_template_free(tmpl);
    hs_image_free(img);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ENROLLED_IMAGE PROBE_IMAGE\n", argv[0]);
        return 2;
    }

    /* One context per thread: it carries the last error and input limits. */
    hs_ctx *ctx = NULL;
    hs_finger_extractor *ex = NULL;
    hs_finger_matcher *matcher = NULL;
    hs_finger_prepared *enrolled = NULL, *probe = NULL;
    int rc = 2;

    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return 2;
    /* Extractor and matcher hold scratch memory: create once, reuse. */
    if (hs_finger_extractor_new(ctx, &ex) != HS_OK ||
        hs_finger_matcher_new(ctx, &matcher) != HS_OK)
        goto done;

    if (load_finger(ctx, ex, argv[1], &enrolled) != HS_OK ||
        load_finger(ctx, ex, argv[2], &probe) != HS_OK)
        goto done;

    /* Score in [0, 1]. The threshold comes from the calibration of the
     * matcher: about 1 impostor in 10,000 scores above it. */
    float score = 0.0f;
    if (hs_finger_match(matcher, &score, probe, enrolled) != HS_OK)
        goto done;
    float threshold = 1.0f;
    if (hs_finger_threshold_for_fmr(&threshold, 1e-4) != HS_OK)
        goto done;
    printf("score %.4f, threshold %.4f (FMR 1e-4): %s\n", score, threshold,
           score >= threshold ? "MATCH" : "no match");
    rc = score >= threshold ? 0 : 1;

done:
    /* Free functions accept NULL, so one cleanup path serves every error. */
    hs_finger_prepared_free(probe);
    hs_finger_prepared_free(enrolled);
    hs_finger_matcher_free(matcher);
    hs_finger_extractor_free(ex);
    hs_ctx_free(ctx);
    return rc;
}
