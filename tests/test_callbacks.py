"""Progress through scikit-learn's callback API, and verbose output."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline

from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier

callback = pytest.importorskip("sklearn.callback")


class TaskRecorder:
    """An auto-propagated callback that records every task it sees."""

    max_propagation_depth = None

    def __init__(self):
        self.events = []

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("begin", context.estimator_name, context.task_name))

    def on_fit_task_end(self, estimator, context, *, fitted_estimator=None):
        self.events.append(("end", context.estimator_name, context.task_name))

    def count(self, kind, task_name):
        return sum(1 for k, _, t in self.events if k == kind and t == task_name)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def test_binary_reports_one_task_per_iteration(digits):
    X, y = digits
    recorder = TaskRecorder()
    model = BinaryLogisticRegression().set_callbacks(recorder).fit(X, y == 3)
    assert recorder.events[0] == ("begin", "BinaryLogisticRegression", "fit")
    assert recorder.events[-1] == ("end", "BinaryLogisticRegression", "fit")
    # One task per iteration, plus the spare one opened after the last.
    assert recorder.count("end", "lbfgs-iter") == model.n_iter_ + 1
    assert recorder.count("begin", "lbfgs-iter") == model.n_iter_ + 1


def test_scoring_monitor_follows_the_fit(digits):
    X, y = digits
    monitor = callback.ScoringMonitor(scoring="neg_log_loss")
    model = BinaryLogisticRegression().set_callbacks(monitor).fit(X, y == 3)
    log = monitor.get_logs()
    log = log[0] if isinstance(log, list) else log
    pytest.importorskip("pandas")
    rows = log.data_as_pandas
    iterations = rows[rows["task_id_path"].map(len) == 2]
    scores = iterations["neg_log_loss"].to_numpy()
    assert len(scores) >= model.n_iter_
    # L-BFGS-B decreases the objective, so the log loss falls overall.
    assert scores[-1] > scores[0]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_fast_path_reports_classes_and_iterations(digits, n_jobs):
    X, y = digits
    recorder = TaskRecorder()
    model = OneVsRestClassifier(n_jobs=n_jobs).set_callbacks(recorder)
    if n_jobs == 2:
        pytest.importorskip("joblib")
        # Worker processes get copies of the recorder: use threads to share it.
        from joblib import parallel_config

        with parallel_config(backend="threading"):
            model.fit(X, y)
    else:
        model.fit(X, y)
    assert recorder.count("begin", "fit-class") == 10
    assert recorder.count("end", "fit-class") == 10
    iterations = sum(e.n_iter_ + 1 for e in model.estimators_)
    assert recorder.count("end", "lbfgs-iter") == iterations


def test_generic_path_hands_each_class_to_the_base_estimator(digits):
    X, y = digits
    recorder = TaskRecorder()
    model = OneVsRestClassifier(make_pipeline(BinaryLogisticRegression()))
    model.set_callbacks(recorder).fit(X, y)
    names = {name for _, name, _ in recorder.events}
    assert {"OneVsRestClassifier", "Pipeline", "BinaryLogisticRegression"} <= names
    assert recorder.count("end", "lbfgs-iter") == sum(
        e[-1].n_iter_ + 1 for e in model.estimators_
    )


def test_progress_bar_in_grid_search(digits, capsys):
    pytest.importorskip("rich")
    X, y = digits
    search = GridSearchCV(OneVsRestClassifier(), {"estimator__C": [0.1, 1.0]}, cv=2)
    search.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    search.fit(X, y)
    output = capsys.readouterr().out
    assert "GridSearchCV - fit" in output
    assert "OneVsRestClassifier - fit-class" in output


def test_verbose_two_prints_iterations_per_class(digits, capsys):
    X, y = digits
    OneVsRestClassifier(verbose=2).fit(X[:300], y[:300])
    out = capsys.readouterr().out
    assert "[class 7] iteration    1: objective" in out
    assert out.count("[OneVsRestClassifier] class") == 10


def test_without_sklearn_callback_set_callbacks_says_what_to_do():
    # Simulate a scikit-learn without sklearn.callback in a fresh interpreter.
    code = textwrap.dedent(
        """
        import sys
        import types
        # scikit-learn itself is loaded with its callbacks (the modules we
        # import that use them first), then `from sklearn.callback import
        # CallbackSupportMixin` is made to fail.
        import sklearn.callback._callback_support
        import sklearn.model_selection
        import sklearn.preprocessing
        import sklearn.pipeline
        sys.modules["sklearn.callback"] = types.ModuleType("sklearn.callback")
        import numpy as np
        from sklearn_ovr_logit import BinaryLogisticRegression, OneVsRestClassifier
        X = np.arange(20.0).reshape(10, 2)
        y = np.arange(10) % 2
        OneVsRestClassifier().fit(X, y)
        BinaryLogisticRegression().fit(X, y)
        try:
            BinaryLogisticRegression().set_callbacks(object())
        except RuntimeError as error:
            print(error)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "set_callbacks needs scikit-learn >= 1.9" in result.stdout


def test_no_callbacks_no_output(digits, capsys):
    X, y = digits
    model = OneVsRestClassifier().fit(X, y)
    assert capsys.readouterr().out == ""
    assert np.isfinite(model.coef_).all()


@pytest.mark.slow
@pytest.mark.parametrize("n_jobs", [2, 3])
def test_progress_bar_with_worker_processes(digits, capsys, n_jobs):
    """Several runs in one worker report over one connection, one at a time.

    Without the delivery lock, concurrent writes from the runs' threads
    corrupted the messages (UnpicklingError or EOFError) in most runs.
    """
    pytest.importorskip("rich")
    X, y = digits
    model = OneVsRestClassifier(
        BinaryLogisticRegression(tol=1e-10, max_iter=2000), n_jobs=n_jobs
    )
    model.set_callbacks(callback.ProgressBar(max_propagation_depth=None))
    model.fit(X, y)
    assert len(model.estimators_) == 10
    assert "OneVsRestClassifier - fit-class" in capsys.readouterr().out


def _iteration_callbacks_of_runs(monkeypatch):
    """Record the per-iteration callbacks the lockstep runs are given."""
    import sklearn_ovr_logit._lockstep as lockstep

    seen = []
    original = lockstep.minimize_lbfgs_lockstep

    def recording(*args, callbacks=None, **kwargs):
        seen.append(callbacks)
        return original(*args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(lockstep, "minimize_lbfgs_lockstep", recording)
    return seen


@pytest.mark.parametrize(
    ("listener", "listened"),
    [(None, False), ("progress bar", True), ("propagated", True), ("verbose", True)],
)
def test_runs_get_iteration_callbacks_only_when_someone_listens(
    monkeypatch, listener, listened
):
    """Without a listener scipy skips a wrapper and a result per iteration."""
    X, y = load_digits(return_X_y=True)
    seen = _iteration_callbacks_of_runs(monkeypatch)
    clf = OneVsRestClassifier(BinaryLogisticRegression(max_iter=5))
    model = clf
    if listener == "progress bar":
        clf.set_callbacks(callback.ProgressBar())
    elif listener == "propagated":
        model = make_pipeline(clf).set_callbacks(TaskRecorder())
    elif listener == "verbose":
        clf.set_params(verbose=2)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        model.fit(X / 16, y)
    assert seen
    assert [callbacks is not None for callbacks in seen] == [listened] * len(seen)


def test_a_context_of_unknown_make_is_not_silent():
    from sklearn_ovr_logit._callbacks import ProblemCallbacks

    class Context:
        pass

    quiet = ProblemCallbacks(
        contexts=[Context()], estimator=None, y=None, metadata=None
    )
    assert not quiet.is_silent()
