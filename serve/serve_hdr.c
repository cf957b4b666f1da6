/*
 * serve_hdr.c - the request headers serve uses, read in one pass, and the
 * peer's address (see the header).
 */
#include "serve/serve_hdr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/model/world.h"
#include "serve/serve_reply.h"

static bool name_is(const char *key, size_t key_len, const char *name,
                    size_t name_len)
{
    return key_len == name_len && strcasecmp(key, name) == 0;
}

#define NAME_IS(key, len, lit) name_is(key, len, lit, sizeof(lit) - 1)

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind,
                                 const char *key, size_t key_len,
                                 const char *value, size_t value_len)
{
    struct serve_hdr *h = cls;
    (void)kind;
    (void)value_len;
    if (h->region == NULL &&
        name_is(key, key_len, h->region_name, h->region_name_len))
        h->region = value; /* any name, even one of those below */
    if (h->authorization == NULL && NAME_IS(key, key_len, "Authorization"))
        h->authorization = value;
    else if (h->api_key == NULL && NAME_IS(key, key_len, "x-api-key"))
        h->api_key = value;
    else if (h->source == NULL && NAME_IS(key, key_len, "X-Client-Source"))
        h->source = value;
    else if (h->content_length == NULL &&
             NAME_IS(key, key_len, "Content-Length"))
        h->content_length = value;
    else if (h->attempt_key == NULL && NAME_IS(key, key_len, WORLD_KEY_HEADER))
        h->attempt_key = value;
    return MHD_YES;
}

void serve_hdr_read(struct MHD_Connection *c, const char *region_name,
                    struct serve_hdr *h)
{
    memset(h, 0, sizeof(*h));
    h->region_name = region_name;
    h->region_name_len = strlen(region_name);
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, on_header, h);
}

/* The API key (Bearer first, else x-api-key) and its length; NULL when
 * neither carries one. */
const char *serve_hdr_key(const struct serve_hdr *h, size_t *len)
{
    const char *k = serve_reply_key(h->authorization, h->api_key);
    *len = k != NULL ? strlen(k) : 0;
    return k;
}

/* A non-negative decimal integer (digits only, saturating at INT64_MAX),
 * or -1. */
int64_t serve_hdr_i64(const char *s)
{
    if (s == NULL || *s < '0' || *s > '9')
        return -1;
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        int d = *s - '0';
        v = v > (INT64_MAX - d) / 10 ? INT64_MAX : v * 10 + d;
    }
    return *s == '\0' ? v : -1;
}

/* A source id for a peer address, away from account ids. */
int64_t serve_hdr_peer_source(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    uint64_t h = 0xcbf29ce484222325ULL;
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;
        const unsigned char *p = NULL;
        size_t n = 0;
        if (sa->sa_family == AF_INET) {
            p = (const unsigned char *)&((const struct sockaddr_in *)sa)
                    ->sin_addr;
            n = 4;
        } else if (sa->sa_family == AF_INET6) {
            p = (const unsigned char *)&((const struct sockaddr_in6 *)sa)
                    ->sin6_addr;
            n = 16;
        }
        for (size_t i = 0; i < n; i++)
            h = (h ^ p[i]) * 0x100000001b3ULL;
    }
    return (int64_t)((h >> 2) | (1ULL << 61));
}

bool serve_hdr_peer_is_loopback(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci == NULL || ci->client_addr == NULL)
        return false;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET) {
        uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (a >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a =
            &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
    }
    return false;
}
