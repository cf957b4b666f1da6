/*
 * cmd_serve.c - placeholder for 'tollgate serve' until its module lands: it
 * says so and exits with the runtime-failure status, never pretending success.
 */
#include "cli/cli.h"

#include <stdio.h>

int cmd_serve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tollgate serve: not available in this build yet\n");
    return EXIT_RUNTIME;
}
