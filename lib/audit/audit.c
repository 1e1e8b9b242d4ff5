/* The device's audit log: implementation follows. */
#include "internal/core.h"
#include "hotspot/audit.h"

#include <string.h>

hs_status hs_audit_open(hs_ctx *ctx, hs_audit **out, const char *dir,
                        const uint8_t device_sign_secret[64], const hs_audit_options *opts)
{
    (void)dir;
    (void)device_sign_secret;
    (void)opts;
    if (out)
        *out = NULL;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

hs_status hs_audit_append(hs_ctx *ctx, hs_audit *log, const hs_audit_entry *entry)
{
    (void)log;
    (void)entry;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

void hs_audit_close(hs_audit *log) { (void)log; }

hs_status hs_audit_head_get(hs_ctx *ctx, hs_audit_head *head, const hs_audit *log)
{
    (void)head;
    (void)log;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

hs_status hs_audit_export(hs_ctx *ctx, void *buf, size_t *size, hs_audit *log, uint64_t from,
                          uint64_t to)
{
    (void)buf;
    (void)size;
    (void)log;
    (void)from;
    (void)to;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

hs_status hs_audit_verify(hs_ctx *ctx, hs_audit_verify_info *info, const void *data, size_t size,
                          const uint8_t device_sign_public[32], const hs_audit_head *anchor)
{
    (void)info;
    (void)data;
    (void)size;
    (void)device_sign_public;
    (void)anchor;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

hs_status hs_audit_view_new(hs_ctx *ctx, hs_audit_view **out, const void *data, size_t size)
{
    (void)data;
    (void)size;
    if (out)
        *out = NULL;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

uint64_t hs_audit_view_count(const hs_audit_view *view)
{
    (void)view;
    return 0;
}

void hs_audit_view_ident(const hs_audit_view *view, uint8_t log_id[16], uint64_t *first_seq)
{
    (void)view;
    (void)log_id;
    (void)first_seq;
}

hs_status hs_audit_view_entry(hs_ctx *ctx, hs_audit_record *rec, const hs_audit_view *view,
                              uint64_t index)
{
    (void)rec;
    (void)view;
    (void)index;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "audit log not implemented yet");
}

const char *hs_audit_event_name(uint32_t event)
{
    (void)event;
    return "unknown";
}

void hs_audit_view_free(hs_audit_view *view) { (void)view; }
