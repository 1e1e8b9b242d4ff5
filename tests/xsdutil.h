/* XML schema validation with libxml2 for the tests of the INT-I encodings
 * (test_nist, test_encounter). */
#ifndef HOTSPOT_XSDUTIL_H
#define HOTSPOT_XSDUTIL_H

#include "testutil.h"

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <stdio.h>

/* The schema at path (the test fails if it does not parse). */
static inline xmlSchemaPtr tu_xsd_load(const char *path)
{
    xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
    assert_non_null(pc);
    xmlSchemaPtr schema = xmlSchemaParse(pc);
    xmlSchemaFreeParserCtxt(pc);
    assert_non_null(schema);
    return schema;
}

/* 0 when the document xml (size bytes) is valid against schema, else
 * libxml2's code, printed with what. */
static inline int tu_xsd_valid(xmlSchemaPtr schema, const uint8_t *xml, size_t size,
                               const char *what)
{
    xmlDocPtr doc = xmlReadMemory((const char *)xml, (int)size, NULL, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(schema);
    int rc = xmlSchemaValidateDoc(vc, doc);
    if (rc)
        printf("%s: not valid against the schema (%d)\n", what, rc);
    xmlSchemaFreeValidCtxt(vc);
    xmlFreeDoc(doc);
    return rc;
}

#endif
