/* Fingerprint extraction, last stages: minutiae by crossing number on the
 * skeleton, false-minutia removal (border, spurs, bridges, short ridges,
 * lakes, broken ridges, close pairs, clusters), direction from the traced
 * ridges combined with the orientation field, and per-minutia quality. */
#include "internal/finger.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_LEN 40

typedef struct trace_result {
    int len;       /* steps taken */
    int hit;       /* candidate index reached, or -1 */
    int n;         /* path pixels recorded */
    int32_t path[PATH_MAX_LEN]; /* skeleton indices, path[0] is the first step */
} trace_result;

static int bit(unsigned c, int i)
{
    return (int)((c >> (i & 7)) & 1u);
}

/* Neighbour offsets in ring order N NE E SE S SW W NW (skeleton stride sw). */
static void ring_offsets(int sw, int off[8])
{
    off[0] = -sw;
    off[1] = -sw + 1;
    off[2] = 1;
    off[3] = sw + 1;
    off[4] = sw;
    off[5] = sw - 1;
    off[6] = -1;
    off[7] = -sw - 1;
}

static unsigned ncode(const uint8_t *sk, int p, const int off[8])
{
    unsigned c = 0;
    for (int i = 0; i < 8; i++)
        c |= (unsigned)(sk[p + off[i]] != 0) << i;
    return c;
}

static int crossing(unsigned c)
{
    int t = 0;
    for (int i = 0; i < 8; i++)
        t += !bit(c, i) && bit(c, i + 1);
    return t;
}

static int label_at(const hs_finger_extractor *ex, int p)
{
    int sw = ex->w + 2;
    int x = p % sw - 1, y = p / sw - 1;
    if (x < 0 || y < 0 || x >= ex->w || y >= ex->h)
        return -1;
    return ex->label[y * ex->w + x];
}

/* Follow the skeleton from pixel s through its neighbour f for at most
 * maxlen steps, stopping on another candidate or a dead end. */
static void trace(const hs_finger_extractor *ex, int s, int f, int maxlen, trace_result *r)
{
    const int sw = ex->w + 2;
    int off[8];
    ring_offsets(sw, off);
    const uint8_t *sk = ex->skel;
    int prev = s, cur = f, prev2 = s;
    r->len = 0;
    r->hit = -1;
    r->n = 0;
    if (maxlen > PATH_MAX_LEN)
        maxlen = PATH_MAX_LEN;
    for (;;) {
        r->len++;
        r->path[r->n++] = cur;
        int lb = label_at(ex, cur);
        if (lb >= 0) {
            r->hit = lb;
            return;
        }
        if (r->len >= maxlen)
            return;
        int next = -1;
        for (int pass = 0; pass < 2 && next < 0; pass++) {
            int diag = -1;
            for (int i = 0; i < 8; i++) {
                int q = cur + off[i];
                if (!sk[q] || q == prev || q == prev2 || q == s)
                    continue;
                /* First choice: pixels not touching prev (those belong to
                 * the step just taken). */
                int dx = q % sw - prev % sw, dy = q / sw - prev / sw;
                if (pass == 0 && dx >= -1 && dx <= 1 && dy >= -1 && dy <= 1)
                    continue;
                if ((i & 1) == 0) {
                    next = q;
                    break;
                }
                if (diag < 0)
                    diag = q;
            }
            if (next < 0)
                next = diag;
        }
        if (next < 0)
            return;
        prev2 = prev;
        prev = cur;
        cur = next;
    }
}

/* Starting pixels of the branches leaving p: one per run of set neighbours
 * in the ring, preferring a 4-neighbour within the run. */
static int branches(const uint8_t *sk, int p, const int off[8], int out[8])
{
    unsigned c = ncode(sk, p, off);
    int n = 0;
    if (c == 0xffu)
        return 0;
    for (int i = 0; i < 8; i++) {
        if (!bit(c, i) || bit(c, i + 7))
            continue; /* not the start of a run */
        int best = i;
        for (int k = 0, j = i; k < 8 && bit(c, j); k++, j = (j + 1) & 7)
            if ((j & 1) == 0) {
                best = j;
                break;
            }
        out[n++] = p + off[best];
    }
    return n;
}

static void unit(float *x, float *y)
{
    float m = sqrtf(*x * *x + *y * *y);
    if (m > 1e-6f) {
        *x /= m;
        *y /= m;
    } else {
        *x = 1.0f;
        *y = 0.0f;
    }
}

/* Nearest block value of a block field at working pixel (x, y). */
static float block_val(const hs_finger_extractor *ex, const float *f, int x, int y)
{
    int bx = x / HS__FX_BLOCK, by = y / HS__FX_BLOCK;
    if (bx >= ex->bw) bx = ex->bw - 1;
    if (by >= ex->bh) by = ex->bh - 1;
    return f[by * ex->bw + bx];
}

static void draw_dot(hs_finger_extractor *ex, int x, int y, uint8_t v)
{
    if (x >= 0 && y >= 0 && x < ex->w && y < ex->h)
        ex->dbg[y * ex->w + x] = v;
}

static void debug_minutiae(hs_finger_extractor *ex)
{
    int w = ex->w, h = ex->h, sw = w + 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float v = ex->img[hs__fx_pidx(ex, x, y)];
            uint8_t bg = (uint8_t)(160.0f + 0.37f * (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v));
            ex->dbg[y * w + x] = ex->skel[(y + 1) * sw + x + 1] ? 110 : bg;
        }
    for (int i = 0; i < ex->ncand; i++) {
        const hs__fx_cand *c = &ex->cand[i];
        if (!c->alive)
            continue;
        for (int k = -3; k <= 3; k++) {
            if (c->type == HS_MINUTIA_ENDING) {
                draw_dot(ex, c->px + k, c->py - 3, 0);
                draw_dot(ex, c->px + k, c->py + 3, 0);
                draw_dot(ex, c->px - 3, c->py + k, 0);
                draw_dot(ex, c->px + 3, c->py + k, 0);
            } else {
                draw_dot(ex, c->px + k, c->py + k, 0);
                draw_dot(ex, c->px + k, c->py - k, 0);
            }
        }
        for (int k = 3; k <= 12; k++)
            draw_dot(ex, (int)lrintf(c->x + (float)k * c->dx), (int)lrintf(c->y + (float)k * c->dy), 0);
    }
    hs__fx_debug(ex, "minutiae", ex->dbg);
}

/* Apply a rule's decisions: the marked candidates die, and the marks are
 * cleared for the next rule. */
static void drop_marked(hs_finger_extractor *ex, int nc)
{
    for (int i = 0; i < nc; i++) {
        if (ex->cand[i].mark)
            ex->cand[i].alive = 0;
        ex->cand[i].mark = 0;
    }
}

void hs__fx_minutiae(hs_finger_extractor *ex)
{
    const int w = ex->w, h = ex->h, sw = w + 2;
    const uint8_t *sk = ex->skel;
    int off[8];
    ring_offsets(sw, off);
    for (int i = 0; i < w * h; i++)
        ex->label[i] = -1;

    /* Candidates by crossing number, away from the image edge. */
    int nc = 0;
    for (int y = 1; y < h - 1 && nc < HS__FX_MAX_CAND; y++)
        for (int x = 1; x < w - 1; x++) {
            int p = (y + 1) * sw + x + 1;
            if (!sk[p] || ex->dist[y * w + x] < 2)
                continue;
            int cn = crossing(ncode(sk, p, off));
            if (cn != 1 && cn < 3)
                continue;
            hs__fx_cand *c = &ex->cand[nc];
            memset(c, 0, sizeof *c);
            c->px = x;
            c->py = y;
            c->x = (float)x;
            c->y = (float)y;
            c->type = cn == 1 ? HS_MINUTIA_ENDING : HS_MINUTIA_BIFURCATION;
            c->cn = (uint8_t)cn;
            c->alive = 1;
            float lp = block_val(ex, ex->b_per, x, y);
            c->lp = lp < 5.0f ? 5.0f : lp > 14.0f ? 14.0f : lp;
            ex->label[y * w + x] = nc;
            if (++nc == HS__FX_MAX_CAND)
                break;
        }
    ex->ncand = nc;

    /* Structural filters on the skeleton graph; decisions are taken on the
     * unfiltered set (mark) and applied together. Every length is in units
     * of the local ridge period at the candidate (the image's mean period
     * until 2026-12-06: fingers whose period varies, and distorted
     * impressions, had their rules too long in fine areas and too short in
     * coarse ones; docs/accuracy.md, "Third round"). */
    /* Bridges and lakes: 1.2 p (was 1.5 p until 2026-12-06). Two forks
     * facing each other a little more than a period apart are as often a
     * true pair (a short ridge joining two ridges, an enclosure) as a
     * bridge of a wet print; removing them lost true minutiae on the FVC
     * sets (docs/accuracy.md, "Issue 20"). */
    trace_result tr;
    for (int i = 0; i < nc; i++) {
        hs__fx_cand *c = &ex->cand[i];
        int spur_len = (int)lrintf(1.5f * c->lp);
        int short_len = (int)lrintf(2.2f * c->lp);
        int bridge_len = (int)lrintf(1.2f * c->lp);
        int dir_len = (int)lrintf(1.3f * c->lp);
        int p = (c->py + 1) * sw + c->px + 1;
        int br[8];
        int nbr = branches(sk, p, off, br);
        if (c->cn > 3 || (c->type == HS_MINUTIA_BIFURCATION && nbr != 3) ||
            (c->type == HS_MINUTIA_ENDING && nbr != 1)) {
            ex->cand[i].mark = 1;
            continue;
        }
        float vx[3], vy[3];
        int vlen[3];
        for (int b = 0; b < nbr; b++) {
            int maxlen = c->type == HS_MINUTIA_ENDING ? short_len : bridge_len;
            if (maxlen < dir_len) maxlen = dir_len;
            trace(ex, p, br[b], maxlen, &tr);
            if (tr.hit >= 0 && tr.hit != i) {
                const hs__fx_cand *o = &ex->cand[tr.hit];
                int kill_both = 0;
                if (c->type == HS_MINUTIA_ENDING)
                    kill_both = o->type == HS_MINUTIA_BIFURCATION ? tr.len <= spur_len
                                                                  : tr.len <= short_len;
                else
                    kill_both = o->type == HS_MINUTIA_BIFURCATION && tr.len <= bridge_len;
                if (kill_both) {
                    ex->cand[i].mark = 1;
                    ex->cand[tr.hit].mark = 1;
                }
            }
            /* Direction sample: the path point dir_len along, or the last. */
            int k = tr.n < dir_len ? tr.n : dir_len;
            int q = tr.path[k - 1];
            vx[b] = (float)(q % sw - 1 - c->px);
            vy[b] = (float)(q / sw - 1 - c->py);
            vlen[b] = k;
            unit(&vx[b], &vy[b]);
        }
        float dx, dy;
        int reliable;
        if (c->type == HS_MINUTIA_ENDING) {
            dx = vx[0];
            dy = vy[0];
            reliable = vlen[0] >= 4;
        } else {
            /* The two branches closest in angle diverge; the third is the stem. */
            int a = 0, b = 1, s = 2;
            float best = vx[0] * vx[1] + vy[0] * vy[1];
            float d02 = vx[0] * vx[2] + vy[0] * vy[2], d12 = vx[1] * vx[2] + vy[1] * vy[2];
            if (d02 > best) { best = d02; a = 0; b = 2; s = 1; }
            if (d12 > best) { a = 1; b = 2; s = 0; }
            float bx = vx[a] + vx[b], by = vy[a] + vy[b];
            unit(&bx, &by);
            dx = bx - vx[s];
            dy = by - vy[s];
            unit(&dx, &dy);
            reliable = vlen[0] >= 4 && vlen[1] >= 4 && vlen[2] >= 4;
        }
        /* Blend with the smoothed orientation field when they agree. */
        float ox = block_val(ex, ex->b_ox, c->px, c->py), oy = block_val(ex, ex->b_oy, c->px, c->py);
        float phi = 0.5f * atan2f(oy, ox);
        float tx = -sinf(phi), ty = cosf(phi);
        if (tx * dx + ty * dy < 0.0f) {
            tx = -tx;
            ty = -ty;
        }
        float agree = tx * dx + ty * dy;
        if (agree > 0.8f || !reliable) {
            float wf = reliable ? 0.5f : 0.8f;
            dx = wf * tx + (1.0f - wf) * dx;
            dy = wf * ty + (1.0f - wf) * dy;
            unit(&dx, &dy);
        }
        c->dx = dx;
        c->dy = dy;
    }
    drop_marked(ex, nc);

    /* Border: ridges end where the foreground does. */
    for (int i = 0; i < nc; i++) {
        hs__fx_cand *c = &ex->cand[i];
        float border = 0.8f * c->lp;
        if (c->alive && (float)ex->dist[c->py * w + c->px] < border)
            c->alive = 0;
        /* An ending whose ridge would continue straight out of the
         * foreground within a short way is where the print stops, not where
         * the ridge does. */
        float look = 2.5f * c->lp;
        if (c->alive && c->type == HS_MINUTIA_ENDING && look > 0.0f) {
            int qx = (int)lrintf(c->x - look * c->dx), qy = (int)lrintf(c->y - look * c->dy);
            if (qx < 0 || qy < 0 || qx >= w || qy >= h || !ex->mask[qy * w + qx])
                c->alive = 0;
        }
    }

    /* Pairwise rules on what is left: broken ridges (two endings facing each
     * other), close pairs, then clusters. */
    /* Close pairs: 0.5 p (was 0.7 p until 2026-12-06): the spur, bridge
     * and short-ridge rules already remove the structural pairs, and true
     * minutiae 0.5-0.7 p apart (a fork next to an ending) were lost. */
    float lpmax = 5.0f;
    for (int i = 0; i < nc; i++)
        if (ex->cand[i].lp > lpmax)
            lpmax = ex->cand[i].lp;
    for (int i = 0; i < nc; i++) {
        const hs__fx_cand *a = &ex->cand[i];
        if (!a->alive)
            continue;
        for (int j = i + 1; j < nc; j++) {
            const hs__fx_cand *b = &ex->cand[j];
            if (b->py - a->py > (int)(1.8f * lpmax) + 1)
                break; /* candidates are in raster order */
            if (!b->alive)
                continue;
            float pp = 0.5f * (a->lp + b->lp); /* the pair's period */
            float broken = 1.8f * pp, close = 0.5f * pp;
            float vx = b->x - a->x, vy = b->y - a->y;
            float d = sqrtf(vx * vx + vy * vy);
            if (d > broken)
                continue;
            if (d < close) {
                ex->cand[i].mark = ex->cand[j].mark = 1;
                continue;
            }
            if (a->type == HS_MINUTIA_ENDING && b->type == HS_MINUTIA_ENDING) {
                vx /= d;
                vy /= d;
                float da = a->dx * vx + a->dy * vy, db = b->dx * vx + b->dy * vy;
                float ab = a->dx * b->dx + a->dy * b->dy;
                if (da < -0.6f && db > 0.6f && ab < -0.6f)
                    ex->cand[i].mark = ex->cand[j].mark = 1;
            }
        }
    }
    drop_marked(ex, nc);
    for (int i = 0; i < nc; i++) {
        const hs__fx_cand *a = &ex->cand[i];
        if (!a->alive)
            continue;
        int cnt = 0;
        float clus = 1.8f * a->lp;
        for (int j = 0; j < nc; j++) {
            const hs__fx_cand *b = &ex->cand[j];
            if (j == i || !b->alive || abs(b->py - a->py) > (int)clus)
                continue;
            float vx = b->x - a->x, vy = b->y - a->y;
            if (vx * vx + vy * vy < clus * clus)
                cnt++;
        }
        if (cnt >= 3)
            ex->cand[i].mark = 1;
    }
    drop_marked(ex, nc);

    /* Quality: ridge coherence, distance into the foreground, contrast. */
    for (int i = 0; i < nc; i++) {
        hs__fx_cand *c = &ex->cand[i];
        if (!c->alive)
            continue;
        float coh = block_val(ex, ex->b_coh, c->px, c->py);
        float qc = (coh - 0.2f) / 0.5f;
        float qd = (float)ex->dist[c->py * w + c->px] / (3.0f * c->lp);
        float qs = block_val(ex, ex->b_std, c->px, c->py) / ex->med_std;
        qc = qc < 0.05f ? 0.05f : qc > 1.0f ? 1.0f : qc;
        qd = qd > 1.0f ? 1.0f : qd;
        qs = qs > 1.0f ? 1.0f : qs;
        c->quality = sqrtf(qc) * (0.4f + 0.6f * qd) * (0.6f + 0.4f * qs);
    }
    if (HS__FX_DEBUGGING(ex))
        debug_minutiae(ex);
}
