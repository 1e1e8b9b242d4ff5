/* Ground-truth minutiae of a clean binary ridge map: Zhang-Suen thinning,
 * crossing number, tracing along the skeleton for directions and for the
 * removal of spurs, islands and bridges that are not real ridge events. */
#include "internal/synth.h"

#include <stdlib.h>
#include <string.h>

/* 8 neighbours clockwise from north: P2..P9 in Zhang-Suen's naming. */
static const int ndx[8] = {0, 1, 1, 1, 0, -1, -1, -1};
static const int ndy[8] = {-1, -1, 0, 1, 1, 1, 0, -1};

void hs__synth_thin(uint8_t *img, int w, int h, uint8_t *del)
{
    for (int x = 0; x < w; x++)
        img[x] = img[(size_t)(h - 1) * w + x] = 0;
    for (int y = 0; y < h; y++)
        img[(size_t)y * w] = img[(size_t)y * w + w - 1] = 0;
    int changed = 1;
    while (changed) {
        changed = 0;
        for (int step = 0; step < 2; step++) {
            memset(del, 0, (size_t)w * h);
            int any = 0;
            for (int y = 1; y < h - 1; y++)
                for (int x = 1; x < w - 1; x++) {
                    const uint8_t *c = img + (size_t)y * w + x;
                    if (!*c)
                        continue;
                    int p[8], b = 0, a = 0;
                    for (int k = 0; k < 8; k++) {
                        p[k] = c[ndy[k] * w + ndx[k]] != 0;
                        b += p[k];
                    }
                    if (b < 2 || b > 6)
                        continue;
                    for (int k = 0; k < 8; k++)
                        a += !p[k] && p[(k + 1) & 7];
                    if (a != 1)
                        continue;
                    /* p[0]=N p[2]=E p[4]=S p[6]=W */
                    if (step == 0 ? (p[0] && p[2] && p[4]) || (p[2] && p[4] && p[6])
                                  : (p[0] && p[2] && p[6]) || (p[0] && p[4] && p[6]))
                        continue;
                    del[(size_t)y * w + x] = 1;
                    any = 1;
                }
            if (any) {
                for (size_t i = 0; i < (size_t)w * h; i++)
                    if (del[i])
                        img[i] = 0;
                changed = 1;
            }
        }
    }
}

static int at(const uint8_t *s, int w, int h, int x, int y)
{
    return x >= 0 && y >= 0 && x < w && y < h && s[(size_t)y * w + x];
}

static int crossing(const uint8_t *s, int w, int h, int x, int y)
{
    int cn = 0;
    for (int k = 0; k < 8; k++)
        cn += at(s, w, h, x + ndx[k], y + ndy[k]) != at(s, w, h, x + ndx[(k + 1) & 7], y + ndy[(k + 1) & 7]);
    return cn / 2;
}

/* Follow the skeleton from (x, y) through first step (fx, fy) for at most
 * len pixels, never revisiting the start's neighbourhood. Returns the
 * number of steps; *ex, *ey the last pixel; *stop the crossing number of the
 * pixel where it stopped early (1 or >= 3), else 2. */
static int trace(const uint8_t *s, int w, int h, int x, int y, int fx, int fy, int len,
                 int *ex, int *ey, int *stop)
{
    int px = x, py = y, cx = fx, cy = fy, steps = 1;
    int hist_x[64], hist_y[64], nh = 0;
    hist_x[nh] = x;
    hist_y[nh++] = y;
    *stop = 2;
    while (steps < len) {
        int c = crossing(s, w, h, cx, cy);
        if (c != 2) {
            *stop = c;
            break;
        }
        int bx = -1, by = -1;
        /* prefer 4-neighbours so that staircases are walked, not skipped */
        for (int pass = 0; pass < 2 && bx < 0; pass++)
            for (int k = pass; k < 8; k += 2) {
                int nx = cx + ndx[k], ny = cy + ndy[k];
                if (!at(s, w, h, nx, ny) || (nx == px && ny == py))
                    continue;
                int seen = 0;
                for (int i = 0; i < nh && !seen; i++)
                    seen = abs(hist_x[i] - nx) <= 1 && abs(hist_y[i] - ny) <= 1 && !(i == nh - 1);
                if (seen)
                    continue;
                bx = nx;
                by = ny;
                break;
            }
        if (bx < 0)
            break;
        if (nh < 64) {
            hist_x[nh] = cx;
            hist_y[nh++] = cy;
        }
        px = cx;
        py = cy;
        cx = bx;
        cy = by;
        steps++;
    }
    *ex = cx;
    *ey = cy;
    return steps;
}

typedef struct cand {
    int x, y, type, drop;
    float angle;
    int hx[3], hy[3], hstop[3], hlen[3]; /* branch traces */
    int nb;
} cand;

static float iso_angle(float dx, float dy)
{
    float a = atan2f(-dy, dx);
    if (a < 0)
        a += 2 * (float)HS__PI;
    if (a >= 2 * (float)HS__PI)
        a = 0;
    return a;
}

hs_status hs__synth_minutiae(const hs_allocator *a, const uint8_t *bin, int w, int h,
                             const uint8_t *inside, int scale, hs__synth_minutia **out,
                             uint32_t *count)
{
    const size_t n = (size_t)w * h;
    *out = NULL;
    *count = 0;
    uint8_t *sk = hs__malloc(a, 2 * n);
    if (!sk)
        return HS_ERR_NOMEM;
    memcpy(sk, bin, n);
    hs__synth_thin(sk, w, h, sk + n);
    size_t cap = 256, nc = 0;
    cand *c = hs__malloc(a, cap * sizeof *c);
    if (!c) {
        hs__free(a, sk);
        return HS_ERR_NOMEM;
    }
    const int L = 10 / scale, brk = 8 / scale, minlen = 5 / scale + (scale > 1);
    for (int y = 2; y < h - 2; y++)
        for (int x = 2; x < w - 2; x++) {
            if (!sk[(size_t)y * w + x])
                continue;
            int cn = crossing(sk, w, h, x, y);
            if (cn != 1 && cn != 3)
                continue;
            if (nc == cap) {
                cand *nc2 = hs__realloc(a, c, 2 * cap * sizeof *c);
                if (!nc2) {
                    hs__free(a, c);
                    hs__free(a, sk);
                    return HS_ERR_NOMEM;
                }
                c = nc2;
                cap *= 2;
            }
            cand *m = &c[nc];
            memset(m, 0, sizeof *m);
            m->x = x;
            m->y = y;
            m->type = cn == 1 ? HS_MINUTIA_ENDING : HS_MINUTIA_BIFURCATION;
            /* one trace per run of neighbours around the ring */
            for (int k = 0; k < 8 && m->nb < 3; k++) {
                int k1 = (k + 1) & 7;
                int on = at(sk, w, h, x + ndx[k1], y + ndy[k1]);
                int prev = at(sk, w, h, x + ndx[k], y + ndy[k]);
                if (!on || prev)
                    continue;
                /* start of a run at k1; take a 4-neighbour of it if the run has one */
                int sx = x + ndx[k1], sy = y + ndy[k1];
                int k2 = (k1 + 1) & 7;
                if ((k1 & 1) && at(sk, w, h, x + ndx[k2], y + ndy[k2])) {
                    sx = x + ndx[k2];
                    sy = y + ndy[k2];
                }
                int b = m->nb++;
                m->hlen[b] = trace(sk, w, h, x, y, sx, sy, L, &m->hx[b], &m->hy[b], &m->hstop[b]);
            }
            if ((m->type == HS_MINUTIA_ENDING && m->nb != 1) ||
                (m->type == HS_MINUTIA_BIFURCATION && m->nb != 3))
                continue;
            nc++;
        }
    /* Spurs (a short branch from a fork to an ending), islands (two endings
     * joined by a short ridge), small lakes and bridges (two forks joined
     * closely), and facing endings of a short break are not ridge events of
     * the pattern: drop both ends. */
    for (size_t i = 0; i < nc; i++) {
        cand *m = &c[i];
        for (int b = 0; b < m->nb; b++) {
            if (m->hstop[b] == 2 || m->hlen[b] >= L)
                continue;
            m->drop = 1;
            for (size_t j = 0; j < nc; j++)
                if (j != i && abs(c[j].x - m->hx[b]) <= 1 && abs(c[j].y - m->hy[b]) <= 1)
                    c[j].drop = 1;
        }
        if (m->type == HS_MINUTIA_ENDING)
            for (size_t j = i + 1; j < nc; j++) {
                int dx = c[j].x - m->x, dy = c[j].y - m->y;
                if (c[j].type == HS_MINUTIA_ENDING && dx * dx + dy * dy < brk * brk)
                    m->drop = c[j].drop = 1;
            }
        if (m->hlen[0] < minlen)
            m->drop = 1;
    }
    size_t k = 0;
    hs__synth_minutia *res = hs__malloc(a, (nc ? nc : 1) * sizeof *res);
    if (!res) {
        hs__free(a, c);
        hs__free(a, sk);
        return HS_ERR_NOMEM;
    }
    for (size_t i = 0; i < nc; i++) {
        cand *m = &c[i];
        if (m->drop || (inside && !inside[(size_t)m->y * w + m->x]))
            continue;
        float dx, dy;
        if (m->type == HS_MINUTIA_ENDING) {
            dx = (float)(m->hx[0] - m->x);
            dy = (float)(m->hy[0] - m->y);
        } else {
            /* Branches and stem lie along one axis (mean doubled angle); of
             * its two senses, the gap is the one that runs into a valley. */
            float c2 = 0, s2 = 0;
            for (int b = 0; b < 3; b++) {
                float ph = atan2f((float)(m->hy[b] - m->y), (float)(m->hx[b] - m->x));
                c2 += cosf(2 * ph);
                s2 += sinf(2 * ph);
            }
            float th = 0.5f * atan2f(s2, c2);
            dx = cosf(th);
            dy = sinf(th);
            int vp = 0, vn = 0;
            for (int st = 3 / scale; st <= 9 / scale; st++) {
                int xp = m->x + (int)lrintf(st * dx), yp = m->y + (int)lrintf(st * dy);
                int xn = m->x - (int)lrintf(st * dx), yn = m->y - (int)lrintf(st * dy);
                vp += xp >= 0 && yp >= 0 && xp < w && yp < h && !bin[(size_t)yp * w + xp];
                vn += xn >= 0 && yn >= 0 && xn < w && yn < h && !bin[(size_t)yn * w + xn];
            }
            if (vn > vp) {
                dx = -dx;
                dy = -dy;
            }
        }
        res[k].x = (float)(m->x * scale) + 0.5f * (float)(scale - 1);
        res[k].y = (float)(m->y * scale) + 0.5f * (float)(scale - 1);
        res[k].angle = iso_angle(dx, dy);
        res[k].type = (uint8_t)m->type;
        k++;
    }
    hs__free(a, c);
    hs__free_wiped(a, sk, 2 * n);
    *out = res;
    *count = (uint32_t)k;
    return HS_OK;
}
