/*
 * cmd_check.c - placeholder for 'tollgate check' until its module lands: it
 * says so and exits with the runtime-failure status, never pretending success.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tollgate check: not available in this build yet\n");
    return EXIT_RUNTIME;
}
