"""Tiny C programs that make real faults: a thread leak, a parent that never reaps, a memory hog.

Each is compiled once per test session with the system C compiler. Their names start with
``kw-`` so the evidence they leave (kernel log lines, process names) is recognisable as made
by these tests.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

THREAD_LEAK = r"""
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }

int main(void) {
    int leaked = 0;
    for (;;) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 64 * 1024);
        int rc = pthread_create(&thread, &attr, idle, NULL);
        pthread_attr_destroy(&attr);
        if (rc != 0) {
            fprintf(stderr, "leaked %d threads; pthread_create: %s\n", leaked, strerror(rc));
            fflush(stderr);
            break;
        }
        leaked++;
    }
    for (;;) pause();
}
"""

NO_REAPER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Forks N children that exit at once and never waits for them: they stay zombies. */
int main(int argc, char **argv) {
    int children = argc > 1 ? atoi(argv[1]) : 10;
    for (int i = 0; i < children; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(0);
        if (pid < 0) { perror("fork"); break; }
    }
    printf("spawned\n");
    fflush(stdout);
    for (;;) pause();
}
"""

MEMORY_HOG = r"""
#include <stdlib.h>
#include <string.h>

/* Allocates and touches memory 1 MiB at a time, up to a bound, then exits 0. */
int main(int argc, char **argv) {
    long limit_mib = argc > 1 ? atol(argv[1]) : 256;
    for (long i = 0; i < limit_mib; i++) {
        char *chunk = malloc(1 << 20);
        if (!chunk) return 3;
        memset(chunk, 1, 1 << 20);
    }
    return 0;
}
"""

SOURCES = {"kw-thread-leak": THREAD_LEAK, "kw-no-reaper": NO_REAPER, "kw-oom-hog": MEMORY_HOG}


def compile_programs(into: Path) -> dict[str, Path]:
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise RuntimeError("no C compiler")
    built: dict[str, Path] = {}
    for name, source in SOURCES.items():
        src = into / f"{name}.c"
        src.write_text(source)
        binary = into / name
        subprocess.run(
            [compiler, "-O1", "-pthread", "-o", str(binary), str(src)],
            check=True,
            timeout=60,
            capture_output=True,
        )
        built[name] = binary
    return built
