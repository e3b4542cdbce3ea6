/* maxrss FILE PROGRAM [ARGS...]: runs PROGRAM as a child, writes its peak
 * resident set size in KiB (wait4's ru_maxrss) to FILE, and exits as it did.
 *
 * The test harness cannot measure this itself: a new process's ru_maxrss
 * starts at the high-water mark of the process it was forked from, and the
 * harness (with a tokio runtime and a gRPC server in it) is tens of MiB. This
 * launcher is a few hundred KiB, so what it reports is the probe's own peak
 * (or, if the probe stayed smaller, this launcher's: an upper bound either way).
 * Built by tests/common/mod.rs with the C compiler ring already needs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fputs("usage: maxrss FILE PROGRAM [ARGS...]\n", stderr);
        return 125;
    }
    pid_t pid = fork();
    if (pid < 0) return 125;
    if (pid == 0) {
        execv(argv[2], argv + 2);
        _exit(127);
    }
    int status;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) return 125;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) return 125;
    fprintf(out, "%ld\n", usage.ru_maxrss);
    fclose(out);
    if (WIFSIGNALED(status)) {
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
