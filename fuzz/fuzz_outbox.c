/* Fuzz the outbox segment reader: the input becomes an outbox.seg file,
 * checked with hs_outbox_verify, opened read-only (every receipt and sealed
 * body read back), then opened for writing, which drops a torn tail and
 * runs a pending compaction. A second pass recomputes every record's
 * checksums first, so that mutations reach the record parser and the state
 * logic behind them. Seeds: fuzz/corpus/fuzz_outbox/ (real outboxes made
 * by the library: empty, queued, exported, acknowledged, purged, torn). */
#include <hotspot/hotspot.h>
#include "internal/core.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], seg[96];

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int write_seg(const uint8_t *data, size_t size)
{
    int fd = open(seg, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return -1;
    int ok = size == 0 || write(fd, data, size) == (ssize_t)size;
    close(fd);
    return ok ? 0 : -1;
}

static void check(const uint8_t *data, size_t size)
{
    if (write_seg(data, size))
        return;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL))
        return;
    hs_outbox_verify_info vi = HS_OUTBOX_VERIFY_INFO_INIT;
    hs_outbox_verify(ctx, &vi, dir);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    o.flags = HS_OUTBOX_OPEN_READONLY;
    hs_outbox *ob = NULL;
    if (hs_outbox_open(ctx, &ob, dir, &o) == HS_OK) {
        hs_outbox_info info = HS_OUTBOX_INFO_INIT;
        hs_outbox_info_get(ob, &info);
        for (uint32_t i = 0; i < hs_outbox_count(ob); i++) {
            hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
            if (hs_outbox_entry_at(ob, &e, i) != HS_OK || strlen(e.shown) >= sizeof e.shown)
                abort();
            size_t n = 0;
            if (hs_outbox_sealed(ctx, NULL, &n, ob, i) == HS_OK && n) {
                uint8_t *b = malloc(n);
                if (b && hs_outbox_sealed(ctx, b, &n, ob, i) == HS_OK && n != e.sealed_bytes)
                    abort();
                free(b);
            }
        }
        hs_outbox_close(ob);
    }
    /* writable: repairs and compactions; what it leaves must open again */
    hs_outbox_options w = HS_OUTBOX_OPTIONS_INIT;
    if (hs_outbox_open(ctx, &ob, dir, &w) == HS_OK) {
        uint32_t before = 0;
        for (uint32_t i = 0; i < hs_outbox_count(ob); i++) {
            hs_outbox_entry e = HS_OUTBOX_ENTRY_INIT;
            hs_outbox_entry_at(ob, &e, i);
            before += e.state == HS_OUTBOX_QUEUED || e.state == HS_OUTBOX_EXPORTED;
        }
        hs_outbox_close(ob);
        ob = NULL;
        if (hs_outbox_open(ctx, &ob, dir, &o) != HS_OK || hs_outbox_count(ob) != before)
            abort();
        hs_outbox_close(ob);
    }
    hs_ctx_free(ctx);
}

/* Recompute the file header's and every record's checksums. */
static void fix(uint8_t *d, size_t size)
{
    if (size < 56 || memcmp(d, "HSOUTBOX", 8))
        return;
    put32(d + 48, hs__crc32c(0, d, 48));
    size_t off = 56;
    while (size - off >= 32 && get32(d + off) == 0x524f5348u) {
        uint8_t *h = d + off;
        uint64_t ml = get32(h + 8), bl = get32(h + 12);
        if (ml + bl > size - off - 32)
            break;
        put32(h + 16, hs__crc32c(0, h + 32, (size_t)ml));
        put32(h + 20, hs__crc32c(0, h + 32 + ml, (size_t)bl));
        put32(h + 24, hs__crc32c(0, h, 24));
        off += 32 + (size_t)(ml + bl);
    }
}

static void cleanup(void)
{
    char p[128];
    unlink(seg);
    snprintf(p, sizeof p, "%s.lock", seg);
    unlink(p);
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/hs-fuzz-outbox-XXXXXX");
        if (!mkdtemp(dir))
            return 0;
        snprintf(seg, sizeof seg, "%s/outbox.seg", dir);
        atexit(cleanup);
    }
    if (size > (1u << 20))
        return 0;
    check(data, size);
    uint8_t *c = malloc(size ? size : 1);
    if (!c)
        return 0;
    memcpy(c, data, size);
    fix(c, size);
    if (size && memcmp(c, data, size))
        check(c, size);
    free(c);
    return 0;
}
