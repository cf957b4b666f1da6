/*
 * cmd_plot.c - placeholder for 'tollgate plot' until its module lands: it says
 * so and exits with the runtime-failure status, never pretending success.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_plot(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tollgate plot: not available in this build yet\n");
    return EXIT_RUNTIME;
}
