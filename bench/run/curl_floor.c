/*
 * curl_floor.c - the cheapest libcurl client this machine allows, as a
 * yardstick for `tollgate run`'s CPU per request: one thread, one multi
 * handle, curl_multi_socket_action + epoll with kept registrations and
 * expiry-only timeouts (bench/run/README.md), N easy handles re-added
 * as soon as they finish, no bookkeeping at all; the URL handed over
 * parsed (CURLOPT_CURLU) and no proxy environment lookups, the two
 * options that cut libcurl 7.88's own per-request work (bench/run/README.md).
 *
 *   curl_floor URL CONNECTIONS REQUESTS
 *
 * Prints requests done and user+system CPU microseconds per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "curl_epoll.h"

int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    int conns = atoi(argv[2]);
    long total = atol(argv[3]), started = 0, done = 0;
    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *m = curl_multi_init();
    curl_epoll_init(m);
    CURLU *url = curl_url();
    if (curl_url_set(url, CURLUPART_URL, argv[1], 0) != CURLUE_OK)
        return 2;
    for (int i = 0; i < conns && started < total; i++, started++) {
        CURL *e = curl_easy_init();
        curl_easy_setopt(e, CURLOPT_CURLU, url);
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
        curl_multi_add_handle(m, e);
    }
    while (done < total) {
        struct epoll_event ev[64];
        int64_t wait_ms = curl_deadline == INT64_MAX
                              ? 100
                              : (curl_deadline - now_ns() + 999999) / 1000000;
        int n = epoll_wait(epfd, ev, 64, wait_ms < 0 ? 0 : (int)wait_ms);
        for (int i = 0; i < n; i++)
            curl_epoll_event(m, &ev[i]);
        curl_epoll_timeout(m);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left))) {
            CURL *e = msg->easy_handle;
            curl_multi_remove_handle(m, e);
            done++;
            if (started < total) {
                started++;
                curl_multi_add_handle(m, e);
            }
        }
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    printf("curl_floor: %ld requests, %.2f us CPU per request\n", done,
           us / (double)done);
    return 0;
}
