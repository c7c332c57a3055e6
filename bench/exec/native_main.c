/* The native (static Linux) build of a workload: run it and print the line the guest
 * build prints on COM1. */
#include <unistd.h>

#include "checksum_line.h"

int main(void)
{
    char line[CHECKSUM_LINE_LEN];
    format_checksum_line(line, workload_run());
    return write(STDOUT_FILENO, line, sizeof line) == (ssize_t)sizeof line ? 0 : 1;
}
