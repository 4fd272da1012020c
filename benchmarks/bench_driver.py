"""The L-BFGS-B driver: our loop over scipy's step against scipy.optimize.minimize.

Runs many small independent problems in lockstep (``minimize_lbfgs_lockstep``)
with a batch objective that costs next to nothing, so that what is timed is
driving the runs: scipy's step (``setulb``) and the Python around it. Each run
is driven either by the package's own loop over scipy's step (scipy >= 1.15)
or by ``scipy.optimize.minimize``, alternately, and the script prints the
microseconds per evaluation and run, and how many of them scipy's step takes.
Both drivers give the same iterates, which it checks.

    python benchmarks/bench_driver.py
    python benchmarks/bench_driver.py --runs 20 --params 100001
"""

import argparse
import cProfile
import pstats

import numpy as np
from _common import alternate, print_environment

import sklearn_ovr_logit._solver as solver_module
from sklearn_ovr_logit._solver import (
    minimize_lbfgs_lockstep,
    single_threaded_optimizer_blas,
)


def quadratics(n_runs, n_params, seed=0):
    """A batch objective: f_k(x) = 1/2 x' diag(a_k) x - b_k' x, per run k."""
    rng = np.random.default_rng(seed)
    curvature = rng.uniform(1.0, 30.0, size=(n_runs, n_params))
    linear = rng.normal(size=(n_runs, n_params))

    def batch(runs, params):
        a, b = curvature[runs], linear[runs]
        gradients = a * params - b
        values = np.einsum("ij,ij->i", 0.5 * a * params - b, params)
        return values, gradients

    return batch


def solve(batch, n_runs, n_params, own_loop):
    """All runs in lockstep, with the given driver."""
    original = solver_module._own_loop_matches
    solver_module._own_loop_matches = (lambda: True) if own_loop else (lambda: False)
    try:
        with single_threaded_optimizer_blas():
            return minimize_lbfgs_lockstep(
                batch, np.zeros((n_runs, n_params)), tol=1e-4, max_iter=1000
            )
    finally:
        solver_module._own_loop_matches = original


def setulb_seconds(batch, n_runs, n_params):
    """Seconds spent in scipy's step during one solve with our loop."""
    profile = cProfile.Profile()
    profile.runcall(solve, batch, n_runs, n_params, True)
    return sum(
        stats[2]
        for (_, _, name), stats in pstats.Stats(profile).stats.items()
        if "setulb" in name
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--params", type=int, default=257)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print_environment()
    if not solver_module._own_loop_matches():
        raise SystemExit(
            "This scipy has no step our loop can drive (scipy < 1.15): "
            "minimize_lbfgs uses scipy.optimize.minimize."
        )
    batch = quadratics(args.runs, args.params)
    ours = solve(batch, args.runs, args.params, own_loop=True)
    theirs = solve(batch, args.runs, args.params, own_loop=False)
    for a, b in zip(ours, theirs, strict=True):
        if not (np.array_equal(a.x, b.x) and (a.nit, a.nfev) == (b.nit, b.nfev)):
            raise SystemExit("The two drivers followed different iterates.")
    n_evaluations = sum(result.nfev for result in ours)
    print(
        f"\n{args.runs} runs of {args.params} parameters, {n_evaluations} "
        f"evaluations in all; {args.repeats} repeats, alternating:"
    )
    medians, _, _ = alternate(
        {
            "our loop over scipy's step": lambda: solve(
                batch, args.runs, args.params, True
            ),
            "scipy.optimize.minimize": lambda: solve(
                batch, args.runs, args.params, False
            ),
        },
        args.repeats,
    )
    for name, seconds in medians.items():
        print(f"  {name:<28s} {seconds / n_evaluations * 1e6:7.1f} us per evaluation")
    step = setulb_seconds(batch, args.runs, args.params)
    print(
        f"  of which scipy's step (setulb, profiled): "
        f"{step / n_evaluations * 1e6:.1f} us per evaluation"
    )


if __name__ == "__main__":
    main()
