/* guest-runner: runs the execution workloads inside the Linux guest of the Linux exec
 * benchmark (README.md) and times them with the guest's own clock.
 *
 *   guest-runner DIR NAME...
 *
 * For each NAME: prints "KEEL-BENCH-BEGIN NAME", runs DIR/NAME.native with its stdout
 * captured, then prints "KEEL-BENCH NAME <nanoseconds> <its stdout line>" or
 * "KEEL-BENCH-FAILED NAME <why>". CLOCK_MONOTONIC from just before fork() to just after
 * waitpid(), as exec-bench measures on the host. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static void run(const char *dir, const char *name)
{
    char path[512], out[256];
    snprintf(path, sizeof path, "%s/%s.native", dir, name);
    printf("KEEL-BENCH-BEGIN %s\n", name);
    fflush(stdout);
    int fds[2];
    if (pipe(fds) != 0) {
        printf("KEEL-BENCH-FAILED %s pipe: %s\n", name, strerror(errno));
        return;
    }
    long long start = now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(path, path, (char *)0);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], out + got, sizeof out - 1 - got)) > 0 && got < sizeof out - 1)
        got += (size_t)n;
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        printf("KEEL-BENCH-FAILED %s fork/wait: %s\n", name, strerror(errno));
        return;
    }
    long long elapsed = now_ns() - start;
    out[got] = '\0';
    char *newline = strchr(out, '\n');
    if (newline)
        *newline = '\0';
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        printf("KEEL-BENCH-FAILED %s status 0x%x\n", name, status);
    else
        printf("KEEL-BENCH %s %lld %s\n", name, elapsed, out);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: guest-runner DIR NAME...\n");
        return 2;
    }
    for (int i = 2; i < argc; i++)
        run(argv[1], argv[i]);
    return 0;
}
