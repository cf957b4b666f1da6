/*
 * suggest.c - the nearest name by edit distance (suggest.h).
 *
 * Lists are short (keys of one mapping, options of one subcommand), so a
 * full dynamic-programming table per name is fine: 64 x 64 ints on the
 * stack, no allocation.
 */
#include "core/base/suggest.h"

#include <stddef.h>
#include <string.h>

#define SUGGEST_MAX_LEN 63
#define FAR             99

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* Optimal string alignment distance, case-insensitive; FAR for strings
 * longer than SUGGEST_MAX_LEN. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN)
        return FAR;
    int d[SUGGEST_MAX_LEN + 1][SUGGEST_MAX_LEN + 1];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = lower(a[i - 1]), cb = lower(b[j - 1]);
            int v = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == lower(b[j - 2]) &&
                lower(a[i - 2]) == cb && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *suggest_near(const char *word, const char *const *names)
{
    const char *best = NULL;
    int best_d = FAR;
    for (size_t i = 0; names[i] != NULL; i++) {
        int dd = distance(word, names[i]);
        if (dd < best_d) {
            best_d = dd;
            best = names[i];
        }
    }
    size_t len = strlen(word);
    int max = len <= 3 ? 1 : len <= 6 ? 2 : 3;
    return best_d <= max ? best : NULL;
}
