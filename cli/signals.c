/*
 * signals.c - SIGINT/SIGTERM as a flag, the second one fatal (see
 * signals.h).
 *
 * sigaction rather than signal(): the flags are explicit.  SA_RESTART
 * keeps interrupted system calls of other threads (curl's poll, the HTTP
 * server's accept) going as before; the main thread's naps (nanosleep)
 * still return early, which is what lets a command react at once.
 */
#include "cli/signals.h"

#include <string.h>

static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
    caught = sig;
}

static void set_action(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

void signals_catch(void)
{
    caught = 0;
    set_action(SIGINT, on_signal, SA_RESETHAND | SA_RESTART);
    set_action(SIGTERM, on_signal, SA_RESETHAND | SA_RESTART);
}

void signals_ignore_pipe(void)
{
    set_action(SIGPIPE, SIG_IGN, 0);
}

int signals_caught(void)
{
    return caught;
}

volatile sig_atomic_t *signals_flag(void)
{
    return &caught;
}

void signals_restore(void)
{
    set_action(SIGINT, SIG_DFL, 0);
    set_action(SIGTERM, SIG_DFL, 0);
}
