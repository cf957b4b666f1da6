/*
 * suggest.h - "did you mean": the nearest of a list of names.
 *
 * Used wherever tollgate refuses a name the user typed: scenario keys and
 * values (scenario_*.c), subcommands and options (cli/).  One rule
 * everywhere, so a typo gets the same help in a file and on the command
 * line.
 */
#ifndef TOLLGATE_SUGGEST_H
#define TOLLGATE_SUGGEST_H

/*
 * The name of names (a NULL-terminated list) nearest to word by optimal
 * string alignment distance (Levenshtein plus adjacent transpositions,
 * ASCII case ignored), or NULL when none is close: the distance must be at
 * most 1 for words of up to 3 bytes, 2 up to 6, 3 beyond.  Names or words
 * longer than 63 bytes are never close.  Ties go to the earlier name.
 */
const char *suggest_near(const char *word, const char *const *names);

#endif
