/* FVC protocol specifics of `hotspot eval`: sample file names and the
 * resolution of the known FVC sets (their TIFFs carry none). */
#include "cli.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool cli_fvc_parse_name(const char *name, char *finger, size_t fsize, unsigned *impression)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        len = (size_t)(dot - base);
    const char *u1 = memchr(base, '_', len);
    if (!u1)
        return false;
    const char *u2 = memchr(u1 + 1, '_', len - (size_t)(u1 + 1 - base));
    const char *imp = u2 ? u2 + 1 : u1 + 1;
    size_t implen = len - (size_t)(imp - base);
    size_t keylen = (size_t)(imp - 1 - base);
    if (!all_digits(imp, implen) || implen > 4 || keylen == 0 || keylen + 1 > fsize)
        return false;
    if (!all_digits(base, (size_t)(u1 - base)))
        return false;
    if (u2 && !all_digits(u1 + 1, (size_t)(u2 - u1 - 1)))
        return false;
    memcpy(finger, base, keylen);
    finger[keylen] = '\0';
    *impression = (unsigned)strtoul(imp, NULL, 10);
    return true;
}

static const struct {
    const char *name;
    unsigned ppi;
} fvc_sets[] = {
    {"FVC2002_DB1", 500}, {"FVC2002_DB2", 569}, {"FVC2002_DB3", 500}, {"FVC2002_DB4", 500},
    {"FVC2004_DB1", 500}, {"FVC2004_DB2", 500}, {"FVC2004_DB3", 512}, {"FVC2004_DB4", 500},
};

unsigned cli_fvc_ppi(const char *folder)
{
    if (!folder)
        return 0;
    /* last path component that names a set (trailing slashes allowed) */
    unsigned ppi = 0;
    for (size_t k = 0; k < sizeof fvc_sets / sizeof fvc_sets[0]; k++) {
        const char *p = folder, *hit;
        while ((hit = strstr(p, fvc_sets[k].name)) != NULL) {
            ppi = fvc_sets[k].ppi;
            p = hit + 1;
        }
    }
    return ppi;
}
