/* Matcher speed of two builds of libhotspot measured against each other in
 * one process: the ratio that issue 20's speed budget ("at least 0.8 times
 * the comparisons per second of the start, ratios measured in one run") is
 * checked with.
 *
 * Each library is loaded in its own link namespace (dlmopen), so the two
 * builds' symbols never meet; everything goes through the public API
 * (dlsym), so any release since 1.0 can be either side. Each side loads the
 * SecuGen ISO templates of the eight FVC B sets (or, with --images, extracts
 * the FVC images with its own extractor), prepares them, and compares all
 * 3,160 pairs of each set. The sides take turns set by set (A then B, then
 * B then A on the next set), so that a change in the machine's load hits
 * both; a round is the eight sets. Printed per kernel set: each side's
 * comparisons per second (thread CPU time, median over the rounds), the
 * ratio B / A as the median of the per-set time ratios with its quartiles,
 * and how many of the 25,280 scores differ between the sides (0 when only
 * the speed changed and both sides compare the same templates).
 *
 * Usage: bench_match_ab LIB_A LIB_B [--images] [--thorough] [--rounds N]
 *                       [--kernels portable|avx2|avx512|neon|all]
 * e.g. a build of the start of issue 20 (a68c92d) as LIB_A and this tree's
 * libhotspot.so.1 as LIB_B. --kernels all (the default) measures every set
 * both libraries run on this CPU. Needs glibc (dlmopen). */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSETS 8
#define NPER 80
#define MAX_ROUNDS 32

typedef hs_status (*tload_f)(hs_ctx *, hs_template **, uint32_t *, const char *);
typedef void (*tfree_f)(hs_template *);
typedef hs_status (*prep_f)(hs_ctx *, hs_finger_prepared **, const hs_template *, uint32_t);
typedef void (*pfree_f)(hs_finger_prepared *);
typedef hs_status (*mnew_f)(hs_ctx *, hs_finger_matcher **);
typedef void (*mfree_f)(hs_finger_matcher *);
typedef hs_status (*mset_f)(hs_finger_matcher *, hs_finger_matcher_param, int32_t);
typedef hs_status (*match_f)(hs_finger_matcher *, float *, const hs_finger_prepared *,
                             const hs_finger_prepared *);
typedef hs_status (*iload_f)(hs_ctx *, hs_image **, const char *, uint32_t);
typedef hs_status (*ippi_f)(hs_image *, uint32_t);
typedef void (*ifree_f)(hs_image *);
typedef hs_status (*xnew_f)(hs_ctx *, hs_finger_extractor **);
typedef void (*xfree_f)(hs_finger_extractor *);
typedef hs_status (*extract_f)(hs_ctx *, hs_template **, hs_finger_extractor *, const hs_image *);

typedef struct side {
    const char *path;
    void *dl;
    mnew_f mnew;
    mfree_f mfree;
    mset_f mset;
    match_f match;
    pfree_f pfree;
    hs_finger_prepared *p[NSETS][NPER];
    float *scores; /* the last round's, in pair order */
} side;

/* dlsym into a function pointer (copied: ISO C has no conversion of an
 * object pointer to a function pointer; POSIX guarantees the copy works). */
static void sym_into(side *s, const char *name, void *fp, size_t size)
{
    void *f = dlsym(s->dl, name);
    if (!f || size != sizeof f) {
        fprintf(stderr, "bench_match_ab: %s has no %s\n", s->path, name);
        exit(1);
    }
    memcpy(fp, &f, sizeof f);
}
#define SYM(s, var, name) sym_into((s), (name), &(var), sizeof(var))

/* Load the library and its templates; exits with a message on failure. */
static void setup(side *s, const char *path, int images)
{
    s->path = path;
    s->dl = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
    if (!s->dl) {
        fprintf(stderr, "bench_match_ab: %s\n", dlerror());
        exit(1);
    }
    tload_f tload;
    SYM(s, tload, "hs_template_load");
    tfree_f tfree;
    SYM(s, tfree, "hs_template_free");
    prep_f prep;
    SYM(s, prep, "hs_finger_prepare");
    SYM(s, s->pfree, "hs_finger_prepared_free");
    SYM(s, s->mnew, "hs_finger_matcher_new");
    SYM(s, s->mfree, "hs_finger_matcher_free");
    SYM(s, s->mset, "hs_finger_matcher_set");
    SYM(s, s->match, "hs_finger_match");
    hs_finger_extractor *ex = NULL;
    iload_f iload = NULL;
    ippi_f ippi = NULL;
    ifree_f ifree = NULL;
    extract_f extract = NULL;
    if (images) {
        SYM(s, iload, "hs_image_load");
        SYM(s, ippi, "hs_image_set_ppi");
        SYM(s, ifree, "hs_image_free");
        SYM(s, extract, "hs_finger_extract");
        xnew_f xnew;
        SYM(s, xnew, "hs_finger_extractor_new");
        if (xnew(NULL, &ex) != HS_OK) {
            fprintf(stderr, "bench_match_ab: %s: no extractor\n", path);
            exit(1);
        }
    }
    const char *root = bu_shared_root();
    for (int k = 0; k < NSETS; k++)
        for (int i = 0; i < NPER; i++) {
            char file[1024];
            hs_template *t = NULL;
            hs_status st;
            if (images) {
                snprintf(file, sizeof file, "%s/fingerprint/%s/%d_%d.tif", root,
                         bu_fvc_sets[k].name, 101 + i / 8, 1 + i % 8);
                hs_image *img = NULL;
                st = iload(NULL, &img, file, 0);
                if (st == HS_OK)
                    st = ippi(img, bu_fvc_sets[k].ppi);
                if (st == HS_OK)
                    st = extract(NULL, &t, ex, img);
                ifree(img);
            } else {
                snprintf(file, sizeof file, "%s/fingerprint/iso19794-2-secugen/%s/%d_%d.iso",
                         root, bu_fvc_sets[k].name, 101 + i / 8, 1 + i % 8);
                st = tload(NULL, &t, NULL, file);
            }
            if (st != HS_OK || prep(NULL, &s->p[k][i], t, 0) != HS_OK) {
                fprintf(stderr, "bench_match_ab: %s: cannot load or prepare %s (status %d)\n",
                        path, file, (int)st);
                exit(1);
            }
            tfree(t);
        }
    if (ex) {
        xfree_f xfree;
        SYM(s, xfree, "hs_finger_extractor_free");
        xfree(ex);
    }
    s->scores = malloc(sizeof(float) * NSETS * NPER * (NPER - 1) / 2);
    if (!s->scores)
        exit(1);
}

/* Thread CPU seconds for all pairs of set k; scores kept at their index. */
static double run_set(side *s, hs_finger_matcher *m, int k)
{
    float *out = s->scores + (size_t)k * NPER * (NPER - 1) / 2;
    double t0 = bu_thread_cpu_ms();
    for (int a = 0; a < NPER; a++)
        for (int b = a + 1; b < NPER; b++) {
            float sc = -1.0f;
            s->match(m, &sc, s->p[k][a], s->p[k][b]);
            *out++ = sc;
        }
    return (bu_thread_cpu_ms() - t0) / 1000.0;
}

static double quantile(double *v, int n, double q)
{
    /* v sorted by the caller (bu_median sorts) */
    int i = (int)(q * (n - 1) + 0.5);
    return v[i];
}

static void measure(side *A, side *B, int32_t kernels, const char *kname, int thorough,
                    int rounds)
{
    hs_finger_matcher *ma = NULL, *mb = NULL;
    if (A->mnew(NULL, &ma) != HS_OK || B->mnew(NULL, &mb) != HS_OK)
        exit(1);
    if (A->mset(ma, HS_MATCH_KERNELS, kernels) != HS_OK ||
        B->mset(mb, HS_MATCH_KERNELS, kernels) != HS_OK) {
        printf("%-9s not run by both libraries on this CPU\n", kname);
        A->mfree(ma);
        B->mfree(mb);
        return;
    }
    if (thorough && (A->mset(ma, HS_MATCH_THOROUGH, 1) != HS_OK ||
                     B->mset(mb, HS_MATCH_THOROUGH, 1) != HS_OK)) {
        fprintf(stderr, "bench_match_ab: HS_MATCH_THOROUGH needs 1.1 on both sides\n");
        exit(1);
    }
    const long npairs = (long)NSETS * NPER * (NPER - 1) / 2;
    double ra[MAX_ROUNDS], rb[MAX_ROUNDS], ratio[MAX_ROUNDS * NSETS];
    int nr = 0;
    for (int r = 0; r < rounds; r++) {
        double ta = 0.0, tb = 0.0;
        for (int k = 0; k < NSETS; k++) {
            double x, y;
            if ((r + k) & 1) {
                y = run_set(B, mb, k);
                x = run_set(A, ma, k);
            } else {
                x = run_set(A, ma, k);
                y = run_set(B, mb, k);
            }
            ta += x;
            tb += y;
            ratio[nr++] = x / y; /* B's speed over A's */
        }
        ra[r] = (double)npairs / ta;
        rb[r] = (double)npairs / tb;
    }
    long differ = 0;
    for (long i = 0; i < npairs; i++)
        differ += memcmp(&A->scores[i], &B->scores[i], sizeof(float)) != 0;
    double med = bu_median(ratio, (size_t)nr);
    printf("%-9s A %8.0f/s  B %8.0f/s  B/A %.3f (quartiles %.3f-%.3f, %d set runs)  "
           "scores differing: %ld of %ld\n",
           kname, bu_median(ra, (size_t)rounds), bu_median(rb, (size_t)rounds), med,
           quantile(ratio, nr, 0.25), quantile(ratio, nr, 0.75), nr, differ, npairs);
    A->mfree(ma);
    B->mfree(mb);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_match_ab LIB_A LIB_B [--images] [--thorough] "
                        "[--rounds N] [--kernels portable|avx2|avx512|neon|all]\n");
        return 2;
    }
    int images = 0, thorough = 0, rounds = 7;
    const char *kernels = "all";
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--images"))
            images = 1;
        else if (!strcmp(argv[i], "--thorough"))
            thorough = 1;
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc)
            kernels = argv[++i];
        else {
            fprintf(stderr, "bench_match_ab: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_match_ab: --rounds takes 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    char probe[1024];
    snprintf(probe, sizeof probe, "%s/fingerprint/%s/101_1.%s", bu_shared_root(),
             images ? bu_fvc_sets[0].name : "iso19794-2-secugen/FVC2002_DB1_B",
             images ? "tif" : "iso");
    if (access(probe, R_OK) != 0) {
        printf("SKIP: shared data absent or unreadable under %s\n", bu_shared_root());
        return 0;
    }
    static side A, B;
    setup(&A, argv[1], images);
    setup(&B, argv[2], images);
    printf("A = %s\nB = %s\ntemplates: %s; %s mode; %d rounds of the 8 sets\n", argv[1], argv[2],
           images ? "each side's extractor on the FVC images" : "SecuGen ISO",
           thorough ? "thorough" : "default", rounds);
    static const struct {
        const char *name;
        int32_t k;
    } sets[] = {{"portable", HS_MATCH_KERNELS_PORTABLE},
                {"avx2", HS_MATCH_KERNELS_AVX2},
                {"avx512", HS_MATCH_KERNELS_AVX512},
                {"neon", HS_MATCH_KERNELS_NEON}};
    int any = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++)
        if (!strcmp(kernels, "all") || !strcmp(kernels, sets[i].name)) {
            measure(&A, &B, sets[i].k, sets[i].name, thorough, rounds);
            any = 1;
        }
    if (!any) {
        fprintf(stderr, "bench_match_ab: unknown kernel set %s\n", kernels);
        return 2;
    }
    return 0;
}
