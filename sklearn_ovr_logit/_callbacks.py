"""Progress reporting through scikit-learn's callback API (``sklearn.callback``).

scikit-learn 1.9 ships the API (``set_callbacks``, ``ProgressBar``,
``ScoringMonitor``). With an older scikit-learn our estimators work as before
and ``set_callbacks`` raises an error that says what is needed.
"""

import contextlib

import sklearn

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn < 1.9
    CallbackSupportMixin = None

CALLBACKS_AVAILABLE = CallbackSupportMixin is not None


class _NullCallbackContext:
    """Stands in for ``sklearn.callback.CallbackContext`` when there is none."""

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
        context = self._context.subcontext(task_name="lbfgs-iter")
        context.call_on_fit_task_begin(
            **self._hook_args, reconstruction_attributes=self._reconstruction(x)
        )
        return context

    def __call__(self, intermediate_result):
        x = intermediate_result.x.copy()
        self._iteration_context.call_on_fit_task_end(
            **self._hook_args, reconstruction_attributes=self._reconstruction(x)
        )
        if self._printer is not None:
            self._printer(intermediate_result)
        self._iteration_context = self._begin(x)

    def close(self):
        self._iteration_context.call_on_fit_task_end(
            estimator=self._hook_args["estimator"]
        )


def iteration_subtasks(max_iter):
    """Number of sub-tasks an L-BFGS-B run may open (one spare, see close)."""
    return max(max_iter, 1) + 1
