"""A Jupyter kernel that started Spark shuts down at once, and Spark cleans up after itself.

At shutdown ipykernel (7.4) signals the processes of its group until none is left, and it
counts a child that has exited but was never waited for (a zombie) as still there. PySpark
never waits for its JVM, so a kernel that had started Spark was only ended when Jupyter's
patience ran out, 2.5 s later, by SIGTERM; and the signals also ended the `rm` the JVM runs to
delete its temp folders, which put a Java stack trace on the Jupyter server's console.

So when the kernel is told to exit, the JVM is ended first, as a `python main.py` process
ends it: its stdin closes, it runs its shutdown hooks (stopping Spark, deleting its temp
folders) and exits, and is waited for.
"""

import subprocess

from pyspark import SparkContext

JVM_EXIT_SECONDS = 10  # it takes about 0.5 s; past this the kernel's own signals end it

_watched: set[int] = set()  # JVMs whose kernel already ends them at exit


def end_jvm_when_the_kernel_exits() -> None:
    """In a Jupyter kernel, end the session's JVM when the kernel is shut down or restarted;
    elsewhere (`python main.py`, the tests) do nothing: the JVM ends with the process."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    jvm = getattr(SparkContext._gateway, "proc", None)
    if shell is None or not hasattr(shell, "kernel") or jvm is None or jvm.pid in _watched:
        return

    def end_jvm(change: dict) -> None:
        if change["new"]:
            end(jvm)

    shell.observe(end_jvm, names="exit_now")  # set by the kernel's shutdown request
    _watched.add(jvm.pid)


def end(jvm: subprocess.Popen) -> None:
    """Close the JVM's stdin (PySpark's gateway exits when it ends) and wait for it to exit."""
    try:
        jvm.stdin.close()
        jvm.wait(timeout=JVM_EXIT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        pass  # the kernel's shutdown signals it next
