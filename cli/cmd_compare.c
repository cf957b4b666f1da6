/*
 * cmd_compare.c - placeholder for 'tollgate compare' until its module lands: it
 * says so and exits with the runtime-failure status, never pretending success.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_compare(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tollgate compare: not available in this build yet\n");
    return EXIT_RUNTIME;
}
