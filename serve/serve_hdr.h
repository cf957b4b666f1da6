/*
 * serve_hdr.h - what serve reads of a request besides its URL and body:
 * the request headers it uses, collected in one pass, and the peer's
 * address.
 *
 * One pass: libmicrohttpd keeps a request's headers in a list, and a
 * lookup per name would walk it once per name; serve_hdr_read walks it
 * once and keeps the first value of each name it wants (as
 * MHD_lookup_connection_value would).  Names compare case-insensitively.
 * Among them WORLD_KEY_HEADER, the attempt key run sends its embedded
 * serve.  Values are NUL-terminated, owned
 * by libmicrohttpd and live as long as the request.
 */
#ifndef TOLLGATE_SERVE_HDR_H
#define TOLLGATE_SERVE_HDR_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The headers of one request; NULL when not sent. */
struct serve_hdr {
    const char *region_name; /* the scenario's region header (any name) */
    size_t region_name_len;
    const char *authorization; /* Authorization */
    const char *api_key;       /* x-api-key */
    const char *source;        /* X-Client-Source */
    const char *region;        /* the region header's value */
    const char *content_length;
    const char *attempt_key; /* WORLD_KEY_HEADER (core/model/world.h) */
};

/* Reads c's request headers into *h; region_name is the scenario's region
 * header name (borrowed for as long as h is used). */
void serve_hdr_read(struct MHD_Connection *c, const char *region_name,
                    struct serve_hdr *h);

/* The API key (Bearer in Authorization first, else x-api-key) and its
 * length; NULL (and *len 0) when neither carries one. */
const char *serve_hdr_key(const struct serve_hdr *h, size_t *len);

/* A non-negative decimal integer (digits only, nothing after them,
 * saturating at INT64_MAX), or -1 (also for NULL). */
int64_t serve_hdr_i64(const char *s);

/* A source id for c's peer address: a hash of the address with bit 61
 * set, so never an account id. */
int64_t serve_hdr_peer_source(struct MHD_Connection *c);

/* Whether c's peer is a loopback address (127/8, ::1, ::ffff:127/104). */
bool serve_hdr_peer_is_loopback(struct MHD_Connection *c);

#endif
