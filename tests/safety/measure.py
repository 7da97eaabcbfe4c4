"""Run a command as this process's only child, under limits, and report its own peak RSS and
the CPU time it used.

    python measure.py MEMORY_MB NOFILE COMMAND...   (0 = no limit)

The child's exit code is passed back (128+N for a signal); signals to this process are passed
on to the child; the last line on stderr is ``@@peak-rss-kb N cpu-seconds S`` (RUSAGE_CHILDREN
of a process with one child is that child's peak, and its user and system time with that of the
processes it waited for: its workers).
"""

import resource
import signal
import subprocess
import sys


def main() -> int:
    memory_mb, nofile, *command = sys.argv[1:]
    if int(memory_mb):
        size = int(memory_mb) << 20
        resource.setrlimit(resource.RLIMIT_DATA, (size, size))
    if int(nofile):
        resource.setrlimit(resource.RLIMIT_NOFILE, (int(nofile), int(nofile)))
    # The child starts with the default action for the signals the tests send, as from a
    # terminal: a runner started under nohup (SIGHUP ignored) or as a background job (SIGINT
    # ignored) would otherwise pass its choice on, and kubewhy keeps an ignored SIGHUP.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    child = subprocess.Popen(command, close_fds=True)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda number, _: child.send_signal(number))
    code = child.wait()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = used.ru_utime + used.ru_stime
    sys.stderr.write(f"\n@@peak-rss-kb {used.ru_maxrss} cpu-seconds {cpu:.3f}\n")
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
