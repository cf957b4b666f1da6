/*
 * cmd_sim.c - placeholder for 'tollgate sim' until its module lands: it says
 * so and exits with the runtime-failure status, never pretending success.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_sim(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tollgate sim: not available in this build yet\n");
    return EXIT_RUNTIME;
}
