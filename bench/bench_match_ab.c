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
 * Within one process the per-set ratios agree to a few percent, but a
 * process as a whole can be off (one run in five on the shared machine of
 * docs/accuracy.md, one side slower throughout: an unlucky placement in
 * memory is the likely cause); --runs N repeats the measurement in N fresh
 * processes (one after the other) and prints, per kernel set, the medians
 * over them and the range of the per-process ratios.
 *
 * Usage: bench_match_ab LIB_A LIB_B [--images] [--thorough] [--rounds N]
 *                       [--runs N] [--kernels portable|avx2|avx512|neon|all]
 * e.g. a build of the start of issue 20 (a68c92d) as LIB_A and this tree's
 * libhotspot.so.1 as LIB_B, --rounds 3 --runs 5 (docs/accuracy.md, "Speed").
 * --kernels all (the default) measures every set both libraries run on this
 * CPU. Needs glibc (dlmopen). */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NSETS 8
#define NPER 80
#define MAX_ROUNDS 32
#define MAX_RUNS 15

typedef hs_status (*tload_f)(hs_ctx *, hs_template **, uint32_t *, const char *);
typedef void (*tfree_f)(hs_template *);
typedef hs_status (*prep_f)(hs_ctx *, hs_finger_prepared **, const hs_template *, uint32_t);
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
    hs_finger_prepared *p[NSETS][NPER]; /* kept until the process ends */
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

/* One kernel set's figures from one process. */
typedef struct result {
    int ran;                 /* 0: a side cannot run the kernel set here */
    double ra, rb;           /* comparisons per second, medians over the rounds */
    double med, q1, q3;      /* per-set B / A speed ratios: median, quartiles */
    long differ;             /* scores that differ between the sides */
} result;

static result measure(side *A, side *B, int32_t kernels, int thorough, int rounds)
{
    result res = {0, 0, 0, 0, 0, 0, 0};
    hs_finger_matcher *ma = NULL, *mb = NULL;
    if (A->mnew(NULL, &ma) != HS_OK || B->mnew(NULL, &mb) != HS_OK)
        exit(1);
    if (A->mset(ma, HS_MATCH_KERNELS, kernels) != HS_OK ||
        B->mset(mb, HS_MATCH_KERNELS, kernels) != HS_OK) {
        A->mfree(ma);
        B->mfree(mb);
        return res;
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
    res.ran = 1;
    res.med = bu_median(ratio, (size_t)nr);
    res.q1 = quantile(ratio, nr, 0.25);
    res.q3 = quantile(ratio, nr, 0.75);
    res.ra = bu_median(ra, (size_t)rounds);
    res.rb = bu_median(rb, (size_t)rounds);
    res.differ = differ;
    A->mfree(ma);
    B->mfree(mb);
    return res;
}

static const struct {
    const char *name;
    int32_t k;
} ksets[] = {{"portable", HS_MATCH_KERNELS_PORTABLE},
             {"avx2", HS_MATCH_KERNELS_AVX2},
             {"avx512", HS_MATCH_KERNELS_AVX512},
             {"neon", HS_MATCH_KERNELS_NEON}};
#define NKSETS ((int)(sizeof ksets / sizeof ksets[0]))

static void print_result(const char *kname, const result *r, int rounds)
{
    const long npairs = (long)NSETS * NPER * (NPER - 1) / 2;
    if (!r->ran)
        printf("%-9s not run by both libraries on this CPU\n", kname);
    else
        printf("%-9s A %8.0f/s  B %8.0f/s  B/A %.3f (quartiles %.3f-%.3f, %d set runs)  "
               "scores differing: %ld of %ld\n",
               kname, r->ra, r->rb, r->med, r->q1, r->q3, rounds * NSETS, r->differ, npairs);
    fflush(stdout);
}

/* One process's measurement of the chosen kernel sets (want[i]) into res. */
static void one_run(const char *lib_a, const char *lib_b, int images, int thorough, int rounds,
                    const int *want, result *res)
{
    static side A, B;
    setup(&A, lib_a, images);
    setup(&B, lib_b, images);
    for (int i = 0; i < NKSETS; i++)
        if (want[i])
            res[i] = measure(&A, &B, ksets[i].k, thorough, rounds);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_match_ab LIB_A LIB_B [--images] [--thorough] "
                        "[--rounds N] [--runs N] [--kernels portable|avx2|avx512|neon|all]\n");
        return 2;
    }
    int images = 0, thorough = 0, rounds = 7, runs = 1;
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
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "bench_match_ab: unknown argument %s\n", argv[i]);
            return 2;
        }
    }
    if (rounds < 1 || rounds > MAX_ROUNDS) {
        fprintf(stderr, "bench_match_ab: --rounds takes 1..%d\n", MAX_ROUNDS);
        return 2;
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench_match_ab: --runs takes 1..%d\n", MAX_RUNS);
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
    int want[NKSETS], any = 0;
    for (int i = 0; i < NKSETS; i++) {
        want[i] = !strcmp(kernels, "all") || !strcmp(kernels, ksets[i].name);
        any |= want[i];
    }
    if (!any) {
        fprintf(stderr, "bench_match_ab: unknown kernel set %s\n", kernels);
        return 2;
    }
    printf("A = %s\nB = %s\ntemplates: %s; %s mode; %d rounds of the 8 sets; %d process%s\n",
           argv[1], argv[2], images ? "each side's extractor on the FVC images" : "SecuGen ISO",
           thorough ? "thorough" : "default", rounds, runs, runs > 1 ? "es" : "");
    fflush(stdout);
    if (runs == 1) {
        result res[NKSETS];
        one_run(argv[1], argv[2], images, thorough, rounds, want, res);
        for (int i = 0; i < NKSETS; i++)
            if (want[i])
                print_result(ksets[i].name, &res[i], rounds);
        return 0;
    }
    /* several processes, one after the other: each loads both libraries
     * afresh (so an unlucky placement is one sample of several), reports
     * through a pipe, and the medians over the processes are printed */
    static result all[MAX_RUNS][NKSETS];
    for (int r = 0; r < runs; r++) {
        int fd[2];
        if (pipe(fd) != 0) {
            perror("bench_match_ab: pipe");
            return 1;
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench_match_ab: fork");
            return 1;
        }
        if (pid == 0) {
            close(fd[0]);
            result res[NKSETS];
            memset(res, 0, sizeof res);
            one_run(argv[1], argv[2], images, thorough, rounds, want, res);
            size_t off = 0;
            while (off < sizeof res) {
                ssize_t w = write(fd[1], (const char *)res + off, sizeof res - off);
                if (w <= 0)
                    _exit(1);
                off += (size_t)w;
            }
            _exit(0);
        }
        close(fd[1]);
        size_t off = 0;
        while (off < sizeof all[r]) {
            ssize_t n = read(fd[0], (char *)all[r] + off, sizeof all[r] - off);
            if (n <= 0)
                break;
            off += (size_t)n;
        }
        close(fd[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        if (off != sizeof all[r] || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_match_ab: run %d failed\n", r + 1);
            return 1;
        }
        printf("run %d:\n", r + 1);
        for (int i = 0; i < NKSETS; i++)
            if (want[i])
                print_result(ksets[i].name, &all[r][i], rounds);
    }
    printf("medians over the %d processes (range of the per-process B/A in brackets):\n", runs);
    for (int i = 0; i < NKSETS; i++) {
        if (!want[i])
            continue;
        double ra[MAX_RUNS], rb[MAX_RUNS], med[MAX_RUNS];
        int n = 0;
        for (int r = 0; r < runs; r++)
            if (all[r][i].ran) {
                ra[n] = all[r][i].ra;
                rb[n] = all[r][i].rb;
                med[n] = all[r][i].med;
                n++;
            }
        if (!n) {
            printf("%-9s not run by both libraries on this CPU\n", ksets[i].name);
            continue;
        }
        double m = bu_median(med, (size_t)n); /* sorts med */
        printf("%-9s A %8.0f/s  B %8.0f/s  B/A %.3f (%.3f-%.3f)\n", ksets[i].name,
               bu_median(ra, (size_t)n), bu_median(rb, (size_t)n), m, med[0], med[n - 1]);
    }
    return 0;
}
