"""Progress reporting through scikit-learn's callback API (``sklearn.callback``).

scikit-learn 1.9 ships the API (``set_callbacks``, ``ProgressBar``,
``ScoringMonitor``). With an older scikit-learn our estimators work as before
and ``set_callbacks`` raises an error that says what is needed.
"""

import contextlib
import threading
from dataclasses import dataclass, replace

import sklearn

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = None

CALLBACKS_AVAILABLE = CallbackSupportMixin is not None

# scikit-learn's callbacks are not thread-safe: in a worker process, every
# callback shares one connection back to the main process, and two threads
# writing to it at once corrupt the messages. The lockstep runs report from
# one thread each, so every call into a callback context goes through this
# lock.
_DELIVERY_LOCK = threading.Lock()


class _NullCallbackContext:
    """Stands in for ``sklearn.callback.CallbackContext`` when there is none."""

    _callbacks = ()

    def subcontext(self, *args, **kwargs):
        return self

    def call_on_fit_task_begin(self, **kwargs):
        return self

    def call_on_fit_task_end(self, **kwargs):
        return False

    @contextlib.contextmanager
    def propagate_callback_context(self, sub_estimator):
        yield


if not CALLBACKS_AVAILABLE:

    class CallbackSupportMixin:  # the fallback for old scikit-learn
        """Without ``sklearn.callback``: no callbacks, and a clear error if asked."""

        def set_callbacks(self, *callbacks):
            """Unavailable: callbacks need scikit-learn >= 1.9.

            Parameters
            ----------
            *callbacks : callback instances
                Ignored.

            Returns
            -------
            self : estimator instance
                Never returned: this raises.
            """
            raise RuntimeError(
                "set_callbacks needs scikit-learn >= 1.9, which provides "
                f"sklearn.callback; this is scikit-learn {sklearn.__version__}. "
                "Upgrade scikit-learn, or use verbose=1 or 2 to follow the fit."
            )

        def _init_callback_context(self, *args, **kwargs):
            return _NullCallbackContext()


class LbfgsIterationReporter:
    """scipy ``callback`` that reports each L-BFGS-B iteration as a callback task.

    Each iteration is a sub-task of ``context``: it begins when the previous
    iteration ends, and ends when scipy calls back. The sub-task opened after
    the last iteration never runs; :meth:`close` ends it without reporting.

    Parameters
    ----------
    context : CallbackContext
        The task whose sub-tasks the iterations are.
    estimator : estimator instance
        The estimator reported to the callbacks.
    X, y, metadata : objects
        Passed to the callback hooks.
    x0 : ndarray
        The starting point of the optimiser.
    attributes : callable or None
        ``attributes(x) -> dict`` of fitted attributes that make a copy of
        ``estimator`` usable for prediction at ``x`` (for ``ScoringMonitor``);
        None when no such copy makes sense.
    printer : callable or None
        Also called after each iteration, for ``verbose`` output.
    """

    def __init__(self, context, estimator, X, y, metadata, x0, attributes, printer):
        self._context = context
        self._hook_args = {"estimator": estimator, "X": X, "y": y, "metadata": metadata}
        self._attributes = attributes
        self._printer = printer
        self._iteration_context = self._begin(x0)

    def _reconstruction(self, x):
        if self._attributes is None:
            return None
        # Lazy: only evaluated when a callback asks for a fitted estimator.
        return lambda: self._attributes(x)

    def _begin(self, x):
        with _DELIVERY_LOCK:
            context = self._context.subcontext(task_name="lbfgs-iter")
            context.call_on_fit_task_begin(
                **self._hook_args, reconstruction_attributes=self._reconstruction(x)
            )
        return context

    def __call__(self, intermediate_result):
        x = intermediate_result.x.copy()
        with _DELIVERY_LOCK:
            self._iteration_context.call_on_fit_task_end(
                **self._hook_args, reconstruction_attributes=self._reconstruction(x)
            )
            if self._printer is not None:
                self._printer(intermediate_result)
        self._iteration_context = self._begin(x)

    def close(self):
        with _DELIVERY_LOCK:
            self._iteration_context.call_on_fit_task_end(
                estimator=self._hook_args["estimator"]
            )


def iteration_subtasks(max_iter):
    """Number of sub-tasks an L-BFGS-B run may open (one spare, see close)."""
    return max(max_iter, 1) + 1


@dataclass
class ProblemCallbacks:
    """What the runs of a lockstep fit report: one callback task per problem.

    Each problem's task opens when its run starts and has one sub-task per
    L-BFGS-B iteration (see :class:`LbfgsIterationReporter`).

    Parameters
    ----------
    contexts : list of CallbackContext
        The task of each problem.
    estimator : estimator instance
        The estimator reported to the callbacks.
    y, metadata : objects
        Passed to the callback hooks (``X`` is passed to :meth:`start` and
        :meth:`finish` instead, so that a joblib backend that ships arguments
        sends it once).
    printers : list of callable or None
        Per problem, what to call after each iteration for ``verbose`` output.
    attributes : list of callable or None
        Per problem, ``attributes(x)`` gives the fitted attributes at ``x``
        (for callbacks that score intermediate models), or None.
    """

    contexts: list
    estimator: object
    y: object
    metadata: dict | None
    printers: list | None = None
    attributes: list | None = None

    def select(self, problems):
        """The callbacks of some of the problems (a shard or a wave)."""

        def pick(values):
            return None if values is None else [values[i] for i in problems]

        return replace(
            self,
            contexts=pick(self.contexts),
            printers=pick(self.printers),
            attributes=pick(self.attributes),
        )

    def is_silent(self):
        """Whether nothing listens: no callback in any problem's task, no printer.

        Then the runs need no per-iteration callback, which costs scipy a
        wrapper and an ``OptimizeResult`` per iteration.
        """
        if self.printers is not None and any(p is not None for p in self.printers):
            return False
        # The callbacks a context delivers to: set on the estimator or
        # propagated from a meta-estimator. Unknown (another version of
        # scikit-learn's private attribute): assume some.
        return all(
            len(getattr(context, "_callbacks", None) or ()) == 0
            and hasattr(context, "_callbacks")
            for context in self.contexts
        )

    def start(self, X, coef0):
        """Open each problem's task; one L-BFGS-B callback per problem."""
        with _DELIVERY_LOCK:
            for context in self.contexts:
                context.call_on_fit_task_begin(
                    estimator=self.estimator, X=X, y=self.y, metadata=self.metadata
                )
        n_problems = len(self.contexts)
        printers = self.printers or [None] * n_problems
        attributes = self.attributes or [None] * n_problems
        return [
            LbfgsIterationReporter(
                context,
                self.estimator,
                X,
                self.y,
                self.metadata,
                x0,
                attributes=attribute,
                printer=printer,
            )
            for context, x0, printer, attribute in zip(
                self.contexts, coef0, printers, attributes, strict=True
            )
        ]

    def finish(self, X, reporters, results):
        """Close the iteration tasks, then each problem's task.

        ``results`` are the runs' ``scipy.optimize.OptimizeResult``.
        """
        for reporter in reporters:
            reporter.close()
        attributes = self.attributes or [None] * len(self.contexts)
        with _DELIVERY_LOCK:
            for context, attribute, result in zip(
                self.contexts, attributes, results, strict=True
            ):
                context.call_on_fit_task_end(
                    estimator=self.estimator,
                    X=X,
                    y=self.y,
                    metadata=self.metadata,
                    reconstruction_attributes=(
                        None if attribute is None else attribute(result.x)
                    ),
                )
