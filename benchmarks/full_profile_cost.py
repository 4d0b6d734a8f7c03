"""What the full profile costs on this machine: CPU-hours, per dataset and in total, and the
critical path if every fold-level job ran at once (issue 13).

    python benchmarks/full_profile_cost.py            # about 15 minutes on 2 cores
    python benchmarks/full_profile_cost.py --quick    # one epoch per timing, a few minutes less

What is counted: every fit job of the ``full`` profile as the Snakefile runs it,
``genomics_hybrid.jobs.dataset_jobs`` at the profile's job size (one job per experiment x model
or privacy cell x part of the split; a fit two experiments share is one job), each with what
the code runs inside it:

- the outer fit on the part's rows (the CV fold's training rows, or the 80 % for the hold-out),
  its predictions of the evaluated and the fitted rows included;
- where the protocol tunes and the model has a search space (``tuning.search_space``: every
  model but DP-SGD, in every experiment of the full profile, the ablation, privacy cells and
  stability seeds included), ``n_iter x inner_folds`` inner fits on (k-1)/k of the part's rows
  (``evaluation._tuned``), each configuration's ``n_steps`` scaling the TabNet stages' epoch
  time (``n_steps / 3``); a hybrid's first stage is trained once per inner fold for each
  distinct (``tabnet_lr``, ``n_steps``) of the sampled configurations (``stage1_store``);
- for the Algorithm 4, uniform-noise and masking cells, the TabNet that scores each feature's
  risk (``AdaptivePrivacy``), once per distinct training rows in a job (its in-process memo);
- notebook 05's permutation importance on the replicas (``n_candidates x n_repeats``
  predictions of the hold-out through the fitted hybrid).

How a fit is timed: on each dataset's full size (the profile's loading: replicas for the
paper's three datasets without downloaded files, the bundled real sets), the first CV fold's
training rows go through the profile's preprocessing and each model kind trains a few epochs
(``--epochs``, each of the hybrid's stages capped there; the CNN alone, the MLP and the privacy
step's TabNet one epoch), one thread (``OMP_NUM_THREADS=1``: the Snakefile's
setting, so wall seconds are CPU seconds). Seconds per epoch (validation included) times the
epochs to early stopping gives the training time; the rest of the fit (preprocessing,
attention pass, predictions) is added as measured. The epochs come from the convergence records
of the default book's fits on the same replicas and sets (``runs/book/<dataset>/*_
convergence.csv``: mean epochs per model and stage over the folds; 400 rows, the 1,000 most
variable genes), each fit's raised to the epochs before early stopping may end a run
(``training.stopping_warmup``: 20; a book built before that rule stopped some fits earlier).
Stock TabNet (a dense genes x genes product per step: minutes per batch at 23,686 genes) and
DP-SGD (per-sample gradients) train one epoch on 4 of their rows and on a subset (512, 64):
what a fit costs whatever its rows and what each row costs come apart, and the rows are
scaled up; DP-SGD's accountant (its noise search for the whole budget) is timed apart, per
epsilon. The shallow baselines (L1 logistic regression, random forest, histogram boosting:
single fits) are fitted on an eighth and a quarter of the fold's rows and extrapolated the
same way. Other part sizes scale every other measured time linearly with the rows. Where the
default book has no privacy grid for a dataset (GSE72056 at the time of writing), DP-SGD's
epochs are those of the datasets that have one.
The tuning's configurations are costed with the base model's epochs.

Critical path: the data loading, then the longest job a notebook waits for
(``jobs.notebook_jobs``), then that notebook's own work where timed (notebook 05's permutation
importance), then the paper tables and the book (not timed: minutes); the longest such chain
over datasets and notebooks.

The last line reads ``full_profile_cpu_hours=<x> critical_path_hours=<y>``.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread per job, as the Snakefile runs them

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Rows of the subset timings: a fit on FEW rows gives what a fit costs whatever its rows
# (building the network: stock TabNet's genes x genes matrix), one on the subset adds the rows'
# cost. Stock TabNet: four batches of 128 (its cost per row is the dense genes x genes product,
# whatever the batch: 23,686^2 multiply-adds a row and step; fewer rows drown it in the noise
# of building that matrix); DP-SGD: one batch of 64, where Opacus's accountant has one batch
# to compose and costs nothing.
FEW, STOCK_SUBSET, DP_SUBSET = 4, 512, 64
# The shallow baselines are fitted on these shares of the first fold's rows (at least 100 rows)
# and extrapolated as fixed + per row: a whole fit of histogram boosting at 23,686 genes takes
# minutes, most of it per gene (binning, 100 rounds of histograms), not per row.
SHALLOW_SHARES = (0.125, 0.25)
NOTEBOOKS = ("02_training", "03_ablation", "04_privacy", "05_interpretability")


class Recorder:
    """A stand-in model that keeps what a deep model would be given: the rows after the
    preprocessing (and the early-stopping rows), so the preprocessing alone can be timed."""

    validation_fraction = 0.15

    def fit(self, X, y, validation=None):
        self.X_, self.y_, self.validation_ = X, y, validation
        self.classes_ = np.unique(y)
        return self

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


class StageClock:
    """Wall seconds and epochs of every ``training.train`` call (each hybrid stage, the MLP)."""

    def __init__(self):
        self.stages: list[tuple[str, float, int]] = []

    def __enter__(self):
        from genomics_hybrid import baselines
        from genomics_hybrid.model import estimator
        self.patched = [(module, module.train) for module in (estimator, baselines)]
        for module, train in self.patched:
            def clocked(*args, _train=train, **kwargs):
                started = time.perf_counter()
                record = _train(*args, **kwargs)
                self.stages.append((args[7], time.perf_counter() - started, record["epochs"]))
                return record
            module.train = clocked
        return self

    def __exit__(self, *exc):
        for module, train in self.patched:
            module.train = train


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


# -- epochs to early stopping, from the default book ------------------------------------------

def book_epochs(dataset: str, book: Path, floor: int, cap: int) -> dict[tuple[str, str], float]:
    """Mean epochs per (model, stage) over the folds of the default book's fits of ``dataset``:
    ("hybrid", "tabnet"), ("tabnet_cnn", "joint"), ("tabnet", "tabnet") (stock), ("mlp", ...),
    and for the privacy grid ("privacy:<method>", stage). Each fit's epochs are raised to
    ``floor``, the epochs before early stopping may end a run (``training.stopping_warmup``),
    when the book was trained without that rule, and kept under the ``cap``."""
    epochs: dict[tuple[str, str], float] = {}
    for experiment in ("comparison", "ablation", "privacy"):
        path = book / dataset / f"{experiment}_convergence.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path)
        if experiment == "privacy":
            frame = frame.assign(model="privacy:" + frame["method"].astype(str))
        per_fit = frame.groupby(["model", "fold", "stage"])["epochs"].first().reset_index()
        per_fit["epochs"] = per_fit["epochs"].clip(lower=floor, upper=cap)
        for (model, stage), value in per_fit.groupby(["model", "stage"])["epochs"].mean().items():
            epochs.setdefault((model, stage), float(value))
    return epochs


def epochs_of(table: dict, model: str, stage: str, cap: int, used: list) -> float:
    """The book's mean epochs, else the same stage of a stand-in, else the profile's cap; each
    stand-in or cap taken is noted in ``used``."""
    stand_ins = {"full": "hybrid", "privacy:none": "hybrid", "privacy:adaptive": "hybrid",
                 "privacy:uniform": "hybrid", "privacy:masking": "hybrid",
                 "risk": "tabnet_only", "privacy:dp_sgd": None}
    if (model, stage) in table:
        return table[model, stage]
    others = table.get("other datasets", {})
    if model == "privacy:dp_sgd" and (model, stage) in others:
        used.append(f"{model}/{stage} as on the other datasets")
        return others[model, stage]
    stand_in = stand_ins.get(model)
    if stand_in and (stand_in, stage) in table:
        used.append(f"{model}/{stage} as {stand_in}")
        return table[stand_in, stage]
    used.append(f"{model}/{stage} at the cap {cap}")
    return float(cap)


# -- timing the representative fits -----------------------------------------------------------

@dataclasses.dataclass
class Timings:
    """One dataset's measurements at the first CV fold's size (``rows``)."""
    rows: int
    eval_rows: int
    load: float
    prep: dict            # protocol name -> preprocessing seconds
    model_rows: dict      # protocol name -> rows the model trains on
    per_epoch: dict       # (kind, stage) -> seconds per epoch at ``rows``
    fixed: dict           # kind -> seconds of a fit that are not epochs (beyond prep)
    whole: dict           # kind -> (seconds a fit, seconds a row) of models without epochs
    per_row: dict         # kind -> (seconds per model row per epoch, per predicted row)
    predict_holdout: float  # one pass of the hold-out through the fitted hybrid


def time_dataset(name: str, profile: dict, epochs: int) -> Timings:
    from sklearn.base import clone

    from genomics_hybrid import evaluation, experiments
    from genomics_hybrid.evaluation import Protocol, split
    from genomics_hybrid.model import HybridClassifier
    from genomics_hybrid.preprocess import make_pipeline
    from genomics_hybrid.privacy import DPSGDClassifier

    dataset, load_seconds = timed(lambda: experiments.profile_dataset(name, profile))
    protocol = dataclasses.replace(Protocol.from_profile(profile), tuning={})
    parts = split(dataset, protocol)
    fit_rows, eval_rows = parts.folds[0]
    X, y = dataset.X, dataset.y
    capped = dict(experiments.model_params(profile), max_epochs=epochs, patience=epochs)
    prep, model_rows, per_epoch, fixed, whole, per_row = {}, {}, {}, {}, {}, {}

    def preprocess(name_, settings):
        recorder = Recorder()
        pipeline = make_pipeline(recorder, random_state=protocol.random_state, **settings)
        _, seconds = timed(lambda: pipeline.fit(X, y, rows=fit_rows))
        prep[name_], model_rows[name_] = seconds, len(recorder.y_)
        return recorder
    standard = preprocess("standard", protocol.preprocessing)
    dp_settings = dict(protocol.preprocessing, smote=False, augment=False)
    dp_rows = preprocess("dp_sgd", dp_settings)
    scaled = preprocess("scaled", dict(protocol.preprocessing, smote=False, undersample=False,
                                       augment=False))
    print(f"  {name}: {len(y)} x {X.shape[1]}, fold 0 fits {len(fit_rows)} rows (the model "
          f"trains on {model_rows['standard']} after resampling); loaded in {load_seconds:.0f} "
          f"s, preprocessed in {prep['standard']:.1f} s", flush=True)

    def deep_fit(kind, estimator):  # estimator capped at its epochs
        with StageClock() as clock:
            record, seconds = timed(lambda: evaluation._fit_and_predict(
                kind, estimator, "fold0", dataset, fit_rows, eval_rows, protocol))
        for stage, stage_seconds, stage_epochs in clock.stages:
            stage = "tabnet" if stage == "TabNet" else "mlp" if kind == "mlp" else "joint"
            per_epoch[kind, stage] = stage_seconds / stage_epochs
        fixed[kind] = seconds - prep["standard"] - sum(s for _, s, _ in clock.stages)
        print(f"    {kind}: {seconds:.1f} s for epochs {[e for _, _, e in clock.stages]} "
              f"({', '.join(f'{s:.1f} s' for _, s, _ in clock.stages)})", flush=True)
        return record

    # Untimed: the first fit in a process pays for PyTorch's start (threads, kernels, memory).
    warm = np.random.default_rng(1).permutation(len(standard.y_))[:64]
    HybridClassifier(max_epochs=1, patience=1).fit(standard.X_[warm], standard.y_[warm])
    hybrid = deep_fit("hybrid", HybridClassifier(**capped))
    # The cheaper kinds train one epoch (after the hybrid's, PyTorch is warm).
    once = dict(capped, max_epochs=1, patience=1)
    deep_fit("cnn_only", HybridClassifier(variant="cnn_only", **once))
    from genomics_hybrid.baselines import matching_mlp, matching_stock_tabnet
    reference = HybridClassifier(**once)
    deep_fit("mlp", matching_mlp(reference, random_state=protocol.random_state))
    # The privacy step's risk scorer: TabNet alone on the scaled rows, before any resampling.
    with StageClock() as clock:
        risk = HybridClassifier(variant="tabnet_only", max_epochs=1, patience=1,
                                random_state=protocol.random_state)
        _, seconds = timed(lambda: risk.fit(scaled.X_, scaled.y_))
    ((_, stage_seconds, stage_epochs),) = clock.stages
    per_epoch["risk", "tabnet"] = stage_seconds / stage_epochs
    fixed["risk"] = seconds - stage_seconds
    print(f"    privacy risk TabNet: {seconds:.1f} s for {stage_epochs} epochs", flush=True)
    # One pass of the hold-out's rows through the fitted hybrid: notebook 05's unit of work.
    holdout_rows = parts.test
    predict_holdout = hybrid["predict_seconds"] * len(holdout_rows) / len(eval_rows)

    # Stock TabNet and DP-SGD: one epoch on FEW rows and on a subset of their rows, so that
    # what a fit costs whatever its rows (building the network, Opacus's accountant) and what
    # each row costs come apart: seconds = fixed + rows x per row.
    def subset_timing(kind, make, recorder, size):
        order = np.random.default_rng(0).permutation(len(recorder.y_))
        val = tuple(part[:64] for part in recorder.validation_)
        points = []
        # FEW rows: half of each class (a classifier needs both), then the subset
        few = np.concatenate([order[recorder.y_[order] == c][:FEW // 2] for c in (0, 1)])
        for rows_ in (few, order[:min(size, len(order))]):
            model = make()
            _, fit_seconds = timed(lambda: model.fit(recorder.X_[rows_], recorder.y_[rows_],
                                                     validation=val))
            _, predict_seconds = timed(lambda: model.predict_proba(recorder.X_[rows_]))
            points.append((len(rows_), fit_seconds, predict_seconds))
        (n1, f1, p1), (n2, f2, p2) = points
        slope = max(f2 - f1, 0.0) / (n2 - n1)
        per_row[kind] = (slope, p2 / n2)
        fixed[kind] = max(f1 - slope * n1, 0.0)
        print(f"    {kind}: 1 epoch on {n1} rows {f1:.1f} s, on {n2} rows {f2:.1f} s "
              f"({fixed[kind]:.1f} s a fit, {1000 * slope:.1f} ms a row)", flush=True)

    def stock_model():
        stock = matching_stock_tabnet(reference, random_state=protocol.random_state)
        return stock.set_params(max_epochs=1, patience=1, batch_size=128)
    subset_timing("tabnet", stock_model, standard, STOCK_SUBSET)
    subset_timing("dp_sgd", lambda: DPSGDClassifier(
        epsilon=1.0, max_epochs=1, patience=1, random_state=protocol.random_state),
        dp_rows, DP_SUBSET)

    # The shallow baselines: whole fits (random forest on one worker: CPU seconds) on two
    # stratified shares of the first fold's rows, extrapolated to its rows as fixed + per row.
    from sklearn.model_selection import train_test_split
    shares = [np.sort(train_test_split(fit_rows, train_size=min(0.9, max(share, 100 / len(
        fit_rows))), stratify=y[fit_rows], random_state=0)[0]) for share in SHALLOW_SHARES]
    for kind, estimator in experiments.comparison_models(profile, n_jobs=1).items():
        if kind in ("l1_logistic", "random_forest", "gradient_boosting"):
            points = [(len(few), timed(lambda: evaluation._fit_and_predict(
                kind, clone(estimator), "fold0", dataset, few, eval_rows, protocol))[1])
                for few in shares]
            (n1, s1), (n2, s2) = points
            slope = max(s2 - s1, 0.0) / max(n2 - n1, 1)
            base = max(s1 - slope * n1, 0.0)
            whole[kind] = (base, slope)
            print(f"    {kind}: {s1:.1f} s on {n1} rows, {s2:.1f} s on {n2} rows ({base:.1f} s "
                  f"a fit, {1000 * slope:.1f} ms a row)", flush=True)
    return Timings(len(fit_rows), len(eval_rows), load_seconds, prep, model_rows, per_epoch,
                   fixed, whole, per_row, predict_holdout)


def accountant_seconds(n_rows: int, epsilon: float, delta: float, epochs: int) -> float:
    """Seconds of the noise search ``make_private_with_epsilon`` runs for DP-SGD on ``n_rows``
    rows in batches of 64 (Opacus's PRV accountant, as ``DPSGDClassifier``)."""
    from opacus.accountants.utils import get_noise_multiplier
    try:
        _, seconds = timed(lambda: get_noise_multiplier(
            target_epsilon=epsilon, target_delta=delta, sample_rate=1 / -(-n_rows // 64),
            epochs=epochs, accountant="prv"))
    except ValueError:  # a budget too low for these rows: the fit would refuse it at once
        return 0.0
    return seconds


# -- the cost of each job -------------------------------------------------------------------

def kind_of(experiment: str, model: str, estimator) -> str:
    variant = getattr(estimator, "variant", None)
    if type(estimator).__name__ == "DPSGDClassifier":
        return "dp_sgd"
    if variant is not None:
        return "hybrid" if variant == "full" else variant
    return {"l1_logistic": "l1_logistic", "random_forest": "random_forest",
            "gradient_boosting": "gradient_boosting", "mlp": "mlp", "tabnet": "tabnet"}[model]


class CostModel:
    """Seconds of one fit of a kind on ``rows`` training rows, from a dataset's ``Timings``."""

    def __init__(self, timings: Timings, epochs: dict, cap: int, accountant: dict):
        self.t, self.epochs, self.cap, self.stand_ins = timings, epochs, cap, []
        self.accountant = accountant  # epsilon -> seconds of DP-SGD's noise search

    def e(self, model, stage):
        return epochs_of(self.epochs, model, stage, self.cap, self.stand_ins)

    def fit(self, kind: str, rows: float, privacy: str | None = None, steps: float = 1.0,
            stage1: bool = True, epsilon: float | None = None) -> float:
        t, scale = self.t, rows / self.t.rows
        book = f"privacy:{privacy}" if privacy else {"hybrid": "hybrid"}.get(kind, kind)
        if kind in ("l1_logistic", "random_forest", "gradient_boosting"):
            base, slope = t.whole[kind]
            return base + slope * rows
        if kind in ("tabnet", "dp_sgd"):
            protocol = "dp_sgd" if kind == "dp_sgd" else "standard"
            per_row_epoch, per_row_predict = t.per_row[kind]
            stage = "dp_sgd" if kind == "dp_sgd" else "tabnet"
            train_rows = t.model_rows[protocol] * scale
            accountant = self.accountant.get(epsilon, 0.0) if kind == "dp_sgd" else 0.0
            return (t.prep[protocol] * scale + t.fixed[kind] + accountant
                    + self.e(book, stage) * per_row_epoch * train_rows
                    + per_row_predict * (rows + t.eval_rows * scale))
        seconds = t.prep["standard"] * scale
        if kind == "mlp":
            return seconds + (self.e("mlp", "mlp") * t.per_epoch["mlp", "mlp"]
                              + t.fixed["mlp"]) * scale
        if kind == "cnn_only":
            return seconds + (self.e(book, "joint") * t.per_epoch["cnn_only", "joint"]
                              + t.fixed["cnn_only"]) * scale
        # hybrid variants: the TabNet stage, then (but for TabNet alone) the joint stage
        if stage1:
            seconds += self.e(book, "tabnet") * t.per_epoch["hybrid", "tabnet"] * scale * steps
        if kind != "tabnet_only":
            seconds += self.e(book, "joint") * t.per_epoch["hybrid", "joint"] * scale * steps
        if privacy in ("adaptive", "uniform", "masking"):
            seconds += self.risk(rows)
        return seconds + t.fixed["hybrid"] * scale

    def risk(self, rows: float) -> float:
        """The privacy step's TabNet on ``rows`` rows (before any resampling)."""
        t, scale = self.t, rows / self.t.rows
        return (self.e("risk", "tabnet") * t.per_epoch["risk", "tabnet"] + t.fixed["risk"]) * scale


_PLANS: dict = {}


def job_kind(job, profile) -> str:
    """The model kind of a job (``kind_of``), the explanation's hybrid included."""
    from genomics_hybrid import experiments
    if job.experiment == "explanation":
        return "hybrid"
    if job.experiment not in _PLANS:
        _PLANS[job.experiment] = experiments.fit_plans(job.experiment, profile)
    return kind_of(job.experiment, job.model, _PLANS[job.experiment][job.model].estimator)


def job_seconds(job, profile, dataset, costs: CostModel, splits) -> float:
    """Seconds of one job: its outer fit and, where the code tunes, its nested search."""
    from sklearn.model_selection import ParameterSampler

    from genomics_hybrid import experiments
    from genomics_hybrid.evaluation import split_parts
    from genomics_hybrid.tuning import search_space

    if job.experiment == "explanation":  # notebook 05's pipeline: one untuned fit on the 80 %
        return costs.fit("hybrid", len(splits["auto"].train))
    if job.experiment not in _PLANS:
        _PLANS[job.experiment] = experiments.fit_plans(job.experiment, profile)
    plan = _PLANS[job.experiment][job.model]
    estimator, protocol = plan.estimator, plan.protocol
    kind = kind_of(job.experiment, job.model, estimator)
    parts = splits["none" if protocol.groups == "none" else "auto"]
    fit_rows = {name: fit for name, fit, _ in split_parts(parts)}  # the folds and hold-out
    rows = len(fit_rows[job.part])
    privacy = job.model.split("_")[0] if job.experiment == "privacy" else None
    privacy = "dp_sgd" if job.model.startswith("dp_sgd") else privacy
    seconds = costs.fit(kind, rows, privacy, epsilon=getattr(estimator, "epsilon", None))
    n_iter = protocol.tuning.get("n_iter", 0)
    space = search_space(estimator)
    if n_iter < 1 or not space:
        return seconds
    inner = protocol.tuning.get("inner_folds", 3)
    inner_rows = rows * (inner - 1) / inner
    configurations = list(ParameterSampler(space, n_iter, random_state=protocol.random_state))
    first_stages = set()
    for configuration in configurations:
        steps = configuration.get("n_steps", 3) / 3
        key = (configuration.get("tabnet_lr"), configuration.get("n_steps"))
        stage1 = key not in first_stages  # stage1_store: trained once per inner fold
        first_stages.add(key)
        for _ in range(inner):
            seconds += costs.fit(kind, inner_rows, privacy, steps, stage1)
    if privacy in ("adaptive", "uniform", "masking"):
        # The risk scorer is memoised by its rows: one per inner fold, not one per candidate.
        seconds -= costs.risk(inner_rows) * inner * (len(configurations) - 1)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="one epoch per timing (default: --epochs)")
    parser.add_argument("--epochs", type=int, default=2,
                        help="epochs each stage of the hybrid trains while timed (default 2)")
    parser.add_argument("--datasets", nargs="*", help="only these datasets of the profile")
    parser.add_argument("--book", default=str(ROOT / "runs" / "book"),
                        help="where the default book's convergence records are")
    args = parser.parse_args()
    started = time.perf_counter()
    epochs = 1 if args.quick else args.epochs
    # A search space smaller than n_iter runs each configuration once: what the code does.
    warnings.filterwarnings("ignore", message="The total space of parameters")

    import torch

    from genomics_hybrid import jobs
    from genomics_hybrid.evaluation import Protocol, split
    from genomics_hybrid.experiments import profile_dataset
    from genomics_hybrid.profiles import load_profile
    torch.set_num_threads(1)
    profile = load_profile("full")
    names = [entry["name"] for entry in profile["datasets"]
             if not args.datasets or entry["name"] in args.datasets]
    cap = int(profile["model"]["max_epochs"])
    from genomics_hybrid.model.training import LR_DECAY, stopping_warmup
    floor = stopping_warmup(LR_DECAY)
    interpretability = profile.get("interpretability") or {}
    permutations = (int(interpretability.get("n_candidates", 200))
                    * int(interpretability.get("n_repeats", 5)))
    print(f"full profile, {torch.get_num_threads()} thread; each stage timed for {epochs} "
          f"epoch{'s' if epochs > 1 else ''} at the first CV fold's size; epochs to early "
          f"stopping from {args.book} (each fit's at least {floor}, the epochs before early "
          f"stopping may stop a run now, at most {cap}); load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} cores at the start (other work on the machine slows every "
          f"timing)")
    from genomics_hybrid.experiments import privacy_grid
    from genomics_hybrid.privacy import DPSGDClassifier
    epsilons = [cell.noise for cell in privacy_grid(profile, methods=("dp_sgd",))
                if cell.method == "dp_sgd"]
    total_hours, paths, accountant = 0.0, [], None
    stock_free, paths_stock_free = {}, []  # the same without stock TabNet's jobs
    for name in names:
        timings = time_dataset(name, profile, epochs)
        if accountant is None:
            # DP-SGD's accountant finds the noise for the whole budget before it trains:
            # seconds that depend on epsilon, the epochs and the number of batches, not on the
            # data's width. Timed once per epsilon of the grid (--quick: at epsilon 1 for all)
            # for the cap's epochs and the batches of the first dataset's first CV fold.
            rows = timings.model_rows["dp_sgd"]
            measured = {e: accountant_seconds(rows, e, DPSGDClassifier().delta, cap)
                        for e in ([1.0] if args.quick else epsilons)}
            accountant = {e: measured.get(e, measured.get(1.0)) for e in epsilons}
            print(f"    DP-SGD accountant per fit ({rows} rows of {name}): " + ", ".join(
                f"epsilon {e:g} {s:.1f} s" for e, s in measured.items()), flush=True)
        dataset = profile_dataset(name, profile)
        protocol = Protocol.from_profile(profile)
        splits = {"auto": split(dataset, protocol),
                  "none": split(dataset, dataclasses.replace(protocol, groups="none"))}
        epochs_table = book_epochs(name, Path(args.book), floor, cap)
        # DP-SGD's epochs where the book has no privacy grid for this dataset: the mean of the
        # datasets that have one (the same rule, budget and cap).
        dp = [e for other in names + [n for n in ("gse7390", "pbmc68k", "tcga_brca",
                                                  "encsr000aed") if n not in names]
              for key, e in book_epochs(other, Path(args.book), floor, cap).items()
              if key == ("privacy:dp_sgd", "dp_sgd")]
        if dp:
            epochs_table["other datasets"] = {("privacy:dp_sgd", "dp_sgd"): float(np.mean(dp))}
        costs = CostModel(timings, epochs_table, cap, accountant)
        seconds = {job: job_seconds(job, profile, dataset, costs, splits)
                   for job in jobs.dataset_jobs(profile, name)}
        by_experiment, by_kind = defaultdict(float), defaultdict(float)
        for job, value in seconds.items():
            by_experiment[job.experiment] += value
            by_kind[job_kind(job, profile)] += value
            stock_free[name, job] = 0.0 if job_kind(job, profile) == "tabnet" else value
        hours = sum(seconds.values()) / 3600
        total_hours += hours
        permutation = (permutations * timings.predict_holdout
                       if "informative_features" in dataset.info.get("ground_truth", {}) else 0)
        for notebook in NOTEBOOKS:
            waits = jobs.notebook_jobs(profile, name, notebook)
            if not waits:
                continue
            longest = max(waits, key=lambda job: seconds[job])
            own = permutation if notebook == "05_interpretability" else 0.0
            paths.append((timings.load + seconds[longest] + own, name, notebook, longest.name,
                          seconds[longest], own))
            longest_other = max(stock_free[name, job] for job in waits)
            paths_stock_free.append(timings.load + longest_other + own)
        longest = max(seconds, key=seconds.get)
        print(f"{name}: {len(seconds)} jobs, {hours:.1f} CPU-hours ("
              + ", ".join(f"{e} {v / 3600:.1f}" for e, v in by_experiment.items())
              + f"); longest job {longest.name} {seconds[longest] / 3600:.2f} h"
              + (f"; notebook 05's permutation importance {permutation / 3600:.2f} h"
                 if permutation else ""), flush=True)
        print("  by model: " + ", ".join(f"{k} {v / 3600:.1f}" for k, v in sorted(
            by_kind.items(), key=lambda item: -item[1])))
        if costs.stand_ins:
            taken = ", ".join(sorted(set(costs.stand_ins)))
            print(f"  epochs not in the book, taken from: {taken}")
    path = max(paths)
    print(f"critical path: load {path[1]} ({path[0] - path[4] - path[5]:.0f} s) -> {path[3]} "
          f"({path[4] / 3600:.2f} h) -> notebook {path[2]} ({path[5] / 3600:.2f} h timed) -> "
          f"paper tables -> book (not timed)")
    print(f"total: {total_hours:.1f} CPU-hours of fits on this machine's cores (one thread "
          f"each); the longest chain {path[0] / 3600:.2f} h; load average "
          f"{os.getloadavg()[0]:.1f} at the end; {(time.perf_counter() - started) / 60:.0f} "
          f"minutes to measure")
    print(f"without stock TabNet (its dense genes x genes product): "
          f"{sum(stock_free.values()) / 3600:.1f} CPU-hours, longest chain "
          f"{max(paths_stock_free) / 3600:.2f} h")
    print(f"full_profile_cpu_hours={total_hours:.1f} critical_path_hours={path[0] / 3600:.2f}")


if __name__ == "__main__":
    main()
