"""The order of the gallery's examples: from a first fit to the finer points.

sphinx-gallery imports this sort key by name (``gallery_order.ExampleOrder`` in
``docs/conf.py``), which keeps the configuration picklable. Examples not listed
here come after the listed ones, in file name order.
"""

#: The examples, in the order a reader meets the topics.
ORDER = [
    "plot_quickstart.py",  # fit, confusion matrix, digits right and wrong
    "plot_coefficients.py",  # coefficient images, and how C changes them
    "plot_grid_search.py",  # Pipeline + GridSearchCV, validation curve over C
    "plot_cv_path.py",  # OneVsRestLogisticRegressionCV: scores and paths per class
    "plot_convergence.py",  # raw against scaled pixels
    "plot_binary_five.py",  # "is it a 5?": precision, recall and the threshold
    "plot_multilabel.py",  # multilabel one-vs-rest, per-label probabilities
    "plot_kernel_approximation.py",  # Nystroem features + one-vs-rest
    "plot_speed.py",  # against scikit-learn's OneVsRestClassifier
    "plot_dask.py",  # a dask cluster: fit where the chunks are, predict lazily
    "plot_onnx_export.py",  # export to ONNX, run with onnxruntime, compare
]


class ExampleOrder:
    """Sort key for ``within_subsection_order``: the rank in ``ORDER``.

    Parameters
    ----------
    src_dir : str
        The folder of the examples (unused; sphinx-gallery passes it).
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        if filename in ORDER:
            return (0, ORDER.index(filename), filename)
        return (1, 0, filename)

    def __repr__(self):
        return f"{type(self).__name__}()"
