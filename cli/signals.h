/*
 * signals.h - the one SIGINT/SIGTERM rule of sim, run and serve.
 *
 * The first SIGINT or SIGTERM only records its number: the command sees
 * it (signals_caught(), or the flag an engine polls), stops its work and
 * still writes results for the time covered, marked "complete": false.
 * The handler is installed with SA_RESETHAND, so a second signal takes
 * the default action and ends the process at once (exit by signal, as
 * the shell reports it: 130 for Ctrl-C), for when writing takes too long
 * or something hangs.  The handler only stores the signal's number (to a
 * lock-free atomic and a volatile sig_atomic_t), so it is safe whichever
 * thread the signal lands on.
 */
#ifndef TOLLGATE_CLI_SIGNALS_H
#define TOLLGATE_CLI_SIGNALS_H

#include <signal.h>

/* Installs the handler for SIGINT and SIGTERM and clears any earlier
 * catch. */
void signals_catch(void);

/* Ignores SIGPIPE for the rest of the process: a peer that goes away must
 * not end a run or a server; writes then fail with EPIPE instead. */
void signals_ignore_pipe(void);

/* 0, or the number of the first signal caught since signals_catch. */
int signals_caught(void);

/* The flag the handler sets (to the signal's number), for a
 * single-threaded engine that polls one (sim_config.stop); from other
 * threads read signals_caught(). */
volatile sig_atomic_t *signals_flag(void);

/* Gives SIGINT and SIGTERM their default action again: from then on the
 * first signal ends the process. */
void signals_restore(void);

#endif
