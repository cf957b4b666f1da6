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

#include <assert.h>
#include <stdatomic.h>
#include <string.h>

/* The handler may run on any thread of run or serve (the kernel hands
 * the signal to one that does not block it), so the number the main
 * thread reads is a lock-free atomic, which a handler may store to.
 * caught_flag holds the same number for an engine that polls a volatile
 * sig_atomic_t: only single-threaded sim does, where the handler runs on
 * the polling thread itself. */
static_assert(ATOMIC_INT_LOCK_FREE == 2, "a handler needs lock-free atomics");

static atomic_int caught;
static volatile sig_atomic_t caught_flag;

static void on_signal(int sig)
{
    atomic_store(&caught, sig);
    caught_flag = sig;
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
    atomic_store(&caught, 0);
    caught_flag = 0;
    set_action(SIGINT, on_signal, SA_RESETHAND | SA_RESTART);
    set_action(SIGTERM, on_signal, SA_RESETHAND | SA_RESTART);
}

void signals_ignore_pipe(void)
{
    set_action(SIGPIPE, SIG_IGN, 0);
}

int signals_caught(void)
{
    return atomic_load(&caught);
}

volatile sig_atomic_t *signals_flag(void)
{
    return &caught_flag;
}

void signals_restore(void)
{
    set_action(SIGINT, SIG_DFL, 0);
    set_action(SIGTERM, SIG_DFL, 0);
}
