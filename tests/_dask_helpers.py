"""Helpers that dask workers must import, so they live in a module, not a test.

Process workers unpickle the functions and objects a task refers to by module
and name. What is defined in a test module, or patched into one, never reaches
them; this module does, because the workers inherit the test process's
``sys.path`` (``tests/`` is on it under pytest's default import mode).

The killers spare the process that made them (the test's), where the tests fit
their reference models, and kill any other process that runs them: the tests
send them to dask workers only.
"""

import os
import signal

from distributed.diagnostics.plugin import WorkerPlugin


def kill_worker_once(marker, spare_pid):
    """Kill this process, unless it is ``spare_pid`` or ``marker`` exists.

    The first call made in another process creates the file ``marker`` and
    dies with SIGKILL, as a crash or the kernel's OOM killer would; every
    later call (a retry of the task, or a call in the test process) returns.
    """
    if os.getpid() == spare_pid:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def passthrough_killing_worker_once(X, marker, spare_pid):
    """A ``FunctionTransformer`` function: return ``X``, after kill_worker_once."""
    kill_worker_once(marker, spare_pid)
    return X


class KillWorkerOnceCallback:
    """A fit callback that kills a dask worker in the middle of an L-BFGS-B run.

    Its copy in a task kills at the beginning of the ``iteration``-th iteration
    task it sees, after some evaluations, with the other classes of the shard
    still running (L-BFGS-B runs report from their own threads, where dask's
    ``get_worker`` finds no worker: hence the process id). It reaches the fast
    path's class shards, which run no estimator that a test could swap.
    """

    max_propagation_depth = None

    def __init__(self, marker, iteration=3):
        self.marker = marker
        self.iteration = iteration
        self.spare_pid = os.getpid()
        self._seen = 0

    def __getstate__(self):
        # Each copy sent to a task counts that task's iterations from zero.
        return {**vars(self), "_seen": 0}

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, **kwargs):
        if context.task_name == "lbfgs-iter":
            self._seen += 1
            if self._seen >= self.iteration:
                kill_worker_once(self.marker, self.spare_pid)

    def on_fit_task_end(self, estimator, context, **kwargs):
        return False


class KillWorkerDuringTask(WorkerPlugin):
    """A dask worker plugin: the worker that starts a matching task dies, once.

    The first worker that moves a task whose key contains ``key_part`` to
    "executing" creates the file ``marker`` and dies with SIGKILL, in the
    middle of the round that task belongs to; the others, and the restarted
    worker, run on. Its copy on each worker is unpickled there, which imports
    this module.
    """

    name = "kill-worker-during-task"

    def __init__(self, marker, key_part):
        self.marker = marker
        self.key_part = key_part

    def transition(self, key, start, finish, **kwargs):
        if finish == "executing" and self.key_part in str(key):
            kill_worker_once(self.marker, spare_pid=None)
