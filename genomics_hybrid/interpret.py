"""What the hybrid model attends to, and whether it is right: the paper's Figs. 10-12, checked.

    >>> from genomics_hybrid import figures, interpret
    >>> scores = interpret.attention(model, X_train, feature_names)     # gene -> share, sorted
    >>> figures.attention_bar_figure(scores, top=20)                    # Fig. 10a / 11a / 12a
    >>> maps = interpret.activation_maps(model, X_test, y_test)         # per conv block, per class
    >>> figures.activation_heatmap_figure(maps[0])                      # Fig. 10b / 11b / 12b
    >>> interpret.grad_cam(model, X_test[y_test == 1])                  # selected gene -> score

The paper shows attention bars and activation maps and reads biology into them; it never checks
them. This module adds the checks: precision@k against the planted truth of the replicas (beside
L1-logistic coefficients, an ANOVA F filter and permutation importance, all from the same
training rows), overlap with literature B-cell markers on pbmc68k, and the stability of the
top-k genes across CV folds and seeds.

Every function takes the fitted ``HybridClassifier``, or a fitted pipeline ending in one
(``preprocess.make_pipeline``): then ``X`` holds the raw columns, the pipeline's transform steps
run batch by batch (its samplers are skipped, as when predicting) and the scores are mapped to
the names of the columns the classifier saw. Rows go through the network ``batch_size_`` at a
time in float32: a 4,500 x 23,686 input is never copied whole.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from itertools import combinations
from typing import Iterator, Mapping, Sequence

import numpy as np
import pandas as pd
import torch
from captum.attr import LayerAttribution, LayerGradCam
from scipy.stats import hypergeom
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import f_classif
from sklearn.inspection import permutation_importance
from sklearn.metrics import log_loss
from torch import nn

from ._arrays import blockwise, check_top_k
from .datasets import Dataset
from .datasets.bundled import B_CELL_MARKERS
from .evaluation import Protocol, cached_record, split
from .model import HybridClassifier
from .preprocess import make_pipeline


def known_genes(dataset: Dataset) -> tuple[tuple[str, ...], str]:
    """The genes a dataset's explanations are held against, and what to call them: a replica's
    planted informative genes (``info["ground_truth"]``), the markers its loader lists
    (``info["known_markers"]``: pbmc68k's B-cell markers, ``datasets.bundled.B_CELL_MARKERS``),
    else none ("known")."""
    truth = dataset.info.get("ground_truth", {}).get("informative_features")
    if truth is not None:
        return tuple(truth), "planted informative"
    markers = dataset.info.get("known_markers")
    if markers:
        return tuple(markers["genes"]), markers["label"]
    return (), "known"


_PARTS = {  # the part of the network each explanation reads, and the variants that have it
    "tabnet": ("TabNet attention", ("full", "tabnet_cnn", "tabnet_only")),
    "refiner": ("an Adaptive Feature Refiner", ("full",)),
    "cnn": ("a CNN", ("full", "tabnet_cnn", "cnn_only")),
}


# -- the fitted model and its input -------------------------------------------------------------

@dataclass(frozen=True)
class _Fitted:
    """A fitted classifier, the pipeline steps that transform rows before it, and the names of
    the columns it sees."""

    classifier: HybridClassifier
    transforms: tuple
    names: np.ndarray

    def part(self, name: str) -> nn.Module:
        """``network_.tabnet``, ``.refiner`` or ``.cnn``; an error naming the variants with it."""
        module = getattr(self.classifier.network_, name)
        if module is None:
            what, variants = _PARTS[name]
            raise ValueError(f"This explanation needs {what}, which variant "
                             f"{self.classifier.variant!r} does not have. Fit a model with "
                             f"variant in {variants}.")
        return module

    @property
    def selected_names(self) -> np.ndarray:
        """The genes the CNN sees, in its order (position 0 first)."""
        return self.names[self.classifier.selected_features_]

    def batches(self, X) -> Iterator[torch.Tensor]:
        """X's rows, transformed by the pipeline steps, as float32 tensors of ``batch_size_``."""
        size, device = self.classifier.batch_size_, self.classifier.device_
        for start in range(0, X.shape[0], size):
            stop = start + size
            rows = X.iloc[start:stop] if isinstance(X, pd.DataFrame) else X[start:stop]
            for step in self.transforms:
                rows = step.transform(rows)
            yield torch.from_numpy(np.ascontiguousarray(rows, dtype=np.float32)).to(device)


def _fitted(model, X=None, feature_names=None) -> _Fitted:
    """Unpack ``model`` (classifier or pipeline), check it is fitted and that X (an array or a
    DataFrame) and the names fit; puts the network in evaluation mode.

    Names come from ``feature_names``, else X's columns (DataFrame), else the names the model was
    fitted with, else "x0", "x1", ...
    """
    steps = [step for _, step in model.steps] if hasattr(model, "steps") else [model]
    classifier = steps[-1]
    if not isinstance(classifier, HybridClassifier):
        raise TypeError(f"Expected a HybridClassifier or a pipeline ending in one, got "
                        f"{type(classifier).__name__}.")
    if not hasattr(classifier, "network_"):
        raise NotFittedError("This HybridClassifier is not fitted yet, so it has nothing to "
                             "explain. Call model.fit(X_train, y_train) first.")
    transforms = tuple(step for step in steps[:-1]
                       if step not in (None, "passthrough") and not hasattr(step, "fit_resample"))
    n_inputs = transforms[0].n_features_in_ if transforms else classifier.n_features_in_
    if X is not None and X.shape[1] != n_inputs:
        raise ValueError(f"X has {X.shape[1]} columns but the model was fitted on {n_inputs}.")
    if X is not None and X.shape[0] == 0:
        raise ValueError("X has no rows: there is nothing to explain.")
    if feature_names is None:
        feature_names = X.columns if isinstance(X, pd.DataFrame) else getattr(
            model, "feature_names_in_", [f"x{i}" for i in range(n_inputs)])
    names = np.asarray(feature_names, dtype=object)
    if names.ndim != 1 or len(names) != n_inputs:
        raise ValueError(f"feature_names has {names.size} names but the model takes {n_inputs} "
                         f"columns: pass one name per column of X.")
    for step in transforms:
        names = np.asarray(step.get_feature_names_out(names), dtype=object)
    classifier.network_.eval()
    return _Fitted(classifier, transforms, names)


# -- rankings -----------------------------------------------------------------------------------

def top_genes(ranking: pd.Series | Sequence[str], k: int) -> list[str]:
    """The first k genes of a ranking: a Series of scores (largest first) or names, best first.

    Warns when the k-th and (k+1)-th scores tie (e.g. genes sparsemax never attends to): the
    top-k set then depends on how ties happen to be ordered.
    """
    if isinstance(ranking, pd.Series):
        ranking = ranking.sort_values(ascending=False, kind="stable")
        check_top_k(k, len(ranking), "ranked genes")
        if k < len(ranking) and ranking.iloc[k - 1] == ranking.iloc[k]:
            warnings.warn(f"The genes ranked {k} and {k + 1} tie at score "
                          f"{ranking.iloc[k]:.3g}: the top-{k} set depends on the order of ties.",
                          stacklevel=2)
        return ranking.index[:k].tolist()
    ranking = list(ranking)
    check_top_k(k, len(ranking), "ranked genes")
    return ranking[:k]


def _check_truth(truth: Sequence[str], universe: Sequence[str]) -> set[str]:
    truth, universe = set(truth), set(universe)
    missing = sorted(truth - universe)
    if missing:
        raise ValueError(f"{len(missing)} of the {len(truth)} truth genes are not among the "
                         f"{len(universe)} ranked genes (e.g. {missing[:5]}): rank every feature "
                         f"of the data set the truth belongs to (names are case-sensitive).")
    return truth


def precision_at_k(ranking: pd.Series | Sequence[str], truth: Sequence[str], k: int,
                   universe: Sequence[str] | None = None) -> float:
    """Share of the top-k genes that are in ``truth``.

    The truth genes must all be in ``universe`` (default: the ranking's genes when it is a
    Series of scores), else a ranking that lost some of them would look worse for a wrong reason.
    """
    if universe is None and isinstance(ranking, pd.Series):
        universe = ranking.index
    truth = _check_truth(truth, universe) if universe is not None else set(truth)
    return sum(gene in truth for gene in top_genes(ranking, k)) / k


def jaccard(a, b) -> float:
    """|a & b| / |a | b| of two gene sets (1.0 for two empty sets)."""
    a, b = set(a), set(b)
    return len(a & b) / len(a | b) if a | b else 1.0


def top_k_jaccard(rankings: Mapping[object, pd.Series | Sequence[str]] | Sequence,
                  k: int) -> pd.Series:
    """Jaccard overlap of the top-k genes of every pair of rankings (e.g. CV folds or seeds).

    ``rankings``: a mapping label -> ranking, or a list (labelled 0, 1, ...). Returns one value
    per pair, indexed by the pair's labels; ``.mean()`` is the usual stability summary.
    """
    if not isinstance(rankings, Mapping):
        rankings = dict(enumerate(rankings))
    if len(rankings) < 2:
        raise ValueError(f"Stability needs at least two rankings, got {len(rankings)}.")
    tops = {label: top_genes(ranking, k) for label, ranking in rankings.items()}
    pairs = list(combinations(tops, 2))
    return pd.Series([jaccard(tops[a], tops[b]) for a, b in pairs],
                     index=pd.MultiIndex.from_tuples(pairs, names=["a", "b"]),
                     name=f"jaccard_top{k}")


def ranking_table(rankings: Mapping[tuple[str, str], pd.Series], n: int = 10) -> pd.DataFrame:
    """The first n genes of several rankings side by side, for display: per ranking, keyed by
    (genes column, score column), its genes and their scores rounded to 4 decimals."""
    columns = {}
    for (genes, score), ranking in rankings.items():
        top = ranking.head(n)
        columns[genes] = top.index
        columns[score] = top.to_numpy().round(4)
    return pd.DataFrame(columns)


def stability_summary(pairs: pd.DataFrame, by: str | Sequence[str] = "comparison") -> pd.DataFrame:
    """Mean, min, max and count of the top-k Jaccard overlaps (``AttentionStability.pairs``, or
    the tidy ``interpretability_stability`` files of several datasets), per ``by`` group."""
    return pairs.groupby(by if isinstance(by, str) else list(by)).jaccard.agg(
        ["mean", "min", "max", "count"])


# -- TabNet attention and the refiner -----------------------------------------------------------

def _sample_attention(fitted: _Fitted, X) -> Iterator[np.ndarray]:
    """Per-sample TabNet importance (pytorch-tabnet's ``explain``), one float32 batch at a time."""
    encoder = fitted.part("tabnet").encoder
    with torch.no_grad():
        for batch in fitted.batches(X):
            yield encoder.forward_masks(batch)[0].cpu().numpy()


def attention(model, X, feature_names=None, *, per_sample: bool = False,
              top: int | None = None) -> pd.Series | pd.DataFrame:
    """TabNet attention over the rows of X, by gene.

    Global (default): each gene's share of the attention summed over the rows (pytorch-tabnet's
    ``feature_importances_`` rule; sums to 1), sorted, largest first. ``per_sample=True``: a
    samples x genes DataFrame, each sample's attention normalised to sum 1 over all genes;
    ``top`` keeps only the columns of the ``top`` genes of the global ranking over the same
    rows (a full per-sample table of a 4,500 x 23,686 matrix is 430 MB in float32).
    """
    fitted = _fitted(model, X, feature_names)
    if per_sample and top is None:
        columns = np.arange(len(fitted.names))
    else:
        total = np.zeros(len(fitted.names))
        for importance in _sample_attention(fitted, X):
            total += importance.sum(axis=0, dtype=np.float64)
        order = np.argsort(-total, kind="stable")
        if not per_sample:
            return pd.Series(total[order] / total.sum(), name="attention",
                             index=pd.Index(fitted.names[order], name="gene"))
        check_top_k(top, len(order), "genes")
        columns = order[:top]
    rows = []
    for importance in _sample_attention(fitted, X):
        sums = importance.sum(axis=1, keepdims=True)
        rows.append(importance[:, columns] / np.where(sums > 0, sums, 1))
    index = X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(X.shape[0], name="sample")
    return pd.DataFrame(np.concatenate(rows), index=index,
                        columns=pd.Index(fitted.names[columns], name="gene"))


def refiner_weights(model, feature_names=None) -> pd.Series:
    """The Adaptive Feature Refiner's softmax weights by selected gene (sum 1), largest first.

    1 / k for every gene is the refiner's starting point: weights above it are amplified.
    """
    fitted = _fitted(model, feature_names=feature_names)
    weights = fitted.part("refiner").weights().detach().cpu().numpy()
    return pd.Series(weights, index=pd.Index(fitted.selected_names, name="gene"),
                     name="refiner_weight").sort_values(ascending=False, kind="stable")


# -- the CNN: activation maps and Grad-CAM ------------------------------------------------------

def _sample_index(X) -> pd.Index:
    return X.index if isinstance(X, pd.DataFrame) else pd.RangeIndex(X.shape[0], name="sample")


def _position_labels(fitted: _Fitted) -> list[list[str]]:
    """Per conv block, the selected genes under each output position's pooling window ("A" for
    one gene, "A…B" for the first and last of several; the receptive field is wider by the
    kernels)."""
    genes, stride, labels = fitted.selected_names, 1, []
    for block in fitted.part("cnn").blocks:
        stride *= 2 if isinstance(block.pool, nn.MaxPool1d) else 1
        windows = [genes[p * stride:(p + 1) * stride] for p in range(len(genes) // stride)]
        labels.append([w[0] if len(w) == 1 else f"{w[0]}…{w[-1]}" for w in windows])
    return labels


def activation_maps(model, X, y=None, feature_names=None) -> list[pd.DataFrame]:
    """The output of every conv block (after ReLU and pooling), averaged over its channels.

    One DataFrame per block, columns = positions labelled by the genes they cover. Rows are the
    samples of X, or with ``y`` the classes (mean over each class's samples): the paper's
    activation maps (Figs. 10b-12b), per layer.
    """
    fitted = _fitted(model, X, feature_names)
    cnn, network = fitted.part("cnn"), fitted.classifier.network_
    if y is not None and len(y) != X.shape[0]:
        raise ValueError(f"y has {len(y)} labels but X has {X.shape[0]} rows.")
    outputs = [[] for _ in cnn.blocks]
    with torch.no_grad():
        for batch in fitted.batches(X):
            for store, block_output in zip(outputs, cnn.activations(network.refined(batch))):
                store.append(block_output.mean(dim=1).cpu().numpy())
    maps = []
    for layer, (store, labels) in enumerate(zip(outputs, _position_labels(fitted))):
        frame = pd.DataFrame(np.concatenate(store), index=_sample_index(X),
                             columns=pd.Index(labels, name=f"block {layer + 1} position (genes)"))
        if y is not None:
            frame = frame.groupby(np.asarray(y)).mean().rename_axis("class")
        maps.append(frame)
    return maps


def grad_cam(model, X, feature_names=None, *, layer: int = 0, target=None) -> pd.Series:
    """Grad-CAM score of each selected gene for class ``target``, averaged over the rows of X.

    captum's ``LayerGradCam`` on the convolution of block ``layer``: each channel of its output is
    weighted by the mean gradient of the target's logit and the sum is clipped at 0, i.e.
    evidence *for* the class at each position. ``target`` defaults to the last class (the
    positive one for 0/1 labels). Block 0's convolution keeps the length (one position per gene);
    deeper blocks see pooled sequences, upsampled with ``LayerAttribution.interpolate``
    (nearest), so neighbouring genes share a score. Sorted, largest first.
    """
    fitted = _fitted(model, X, feature_names)
    blocks = fitted.part("cnn").blocks
    if not -len(blocks) <= layer < len(blocks):
        raise ValueError(f"layer={layer} does not exist: the CNN has {len(blocks)} conv blocks "
                         f"(layer 0 to {len(blocks) - 1}).")
    classes = fitted.classifier.classes_.tolist()
    target = classes[-1] if target is None else target
    if target not in classes:
        raise ValueError(f"target={target!r} is not one of the model's classes {classes}.")
    network = fitted.classifier.network_
    cam = LayerGradCam(lambda x: network(x)[0], blocks[layer].conv)
    n_genes = len(fitted.selected_names)
    total = np.zeros(n_genes)
    for batch in fitted.batches(X):
        scores = cam.attribute(batch, target=classes.index(target), relu_attributions=True)
        scores = LayerAttribution.interpolate(scores.detach(), (n_genes,))
        total += scores.sum(dim=(0, 1)).cpu().double().numpy()
    return pd.Series(total / X.shape[0], index=pd.Index(fitted.selected_names, name="gene"),
                     name=f"grad_cam_{target}").sort_values(ascending=False, kind="stable")


# -- stability across folds and seeds -----------------------------------------------------------

@dataclass(frozen=True)
class AttentionStability:
    """Global attention per (seed, fold) and the top-k Jaccard of the pairs that differ in one.

    ``pairs`` columns: ``comparison`` ("across folds": same seed; "across seeds": same fold),
    ``a``, ``b`` (the (seed, fold) keys) and ``jaccard``.
    """

    k: int
    rankings: dict[tuple[int, int], pd.Series]
    pairs: pd.DataFrame


# Genes of a fit's attention ranking that the per-fold cache keeps (``attention_record``).
STORED_GENES = 200


def attention_record(pipeline, X_fit, feature_names) -> dict:
    """The top ``STORED_GENES`` of ``attention(pipeline, X_fit)`` as plain JSON values: what a
    hybrid fit of ``evaluation.run`` stores (``inspect``), so that ``attention_stability`` reads
    the comparison's fits instead of fitting them again."""
    ranking = attention(pipeline, X_fit, feature_names).head(STORED_GENES)
    return {"attention_genes": [str(g) for g in ranking.index],
            "attention_scores": ranking.tolist()}


def _stored_attention(cache_dir, dataset: Dataset, fold: int, estimator, protocol: Protocol,
                      k: int) -> pd.Series | None:
    """The attention ranking a cached fit of ``estimator`` on CV fold ``fold`` recorded, if it
    holds at least k genes; else None."""
    record = cached_record(cache_dir, dataset, f"fold{fold}", estimator, protocol)
    stored = (record or {}).get("inspection") or {}
    if len(stored.get("attention_genes", ())) < k:
        return None
    return pd.Series(stored["attention_scores"], name="attention",
                     index=pd.Index(stored["attention_genes"], name="gene"))


def attention_stability(dataset: Dataset, k: int = 20, seeds: Sequence[int] = (0,),
                        protocol: Protocol = Protocol(), cache_dir=None,
                        **model_params) -> AttentionStability:
    """Fit the hybrid on the training rows of every CV fold of ``evaluation.split``, once per seed,
    and compare the top-k attention genes.

    Each fit is the protocol's pipeline (``make_pipeline`` with ``protocol.preprocessing``) around
    ``HybridClassifier(random_state=seed, **model_params)``, the pipeline seeded alike; attention
    is read on that fold's training rows. The split itself stays fixed (``protocol``'s seed), so
    "across seeds" measures training randomness only. Cost: ``len(seeds) x n_folds`` fits: keep
    it cheap with small ``model_params`` (e.g. ``max_epochs``) and ``Protocol(n_folds=...)``.
    With ``cache_dir``, the fits of the protocol's own seed are read from the attention that
    ``evaluation.run`` stored with them (``attention_record``) where it did: the same fits, not
    fitted twice.
    """
    folds = split(dataset, protocol).folds
    rankings = {}
    for seed in seeds:
        for fold, (fit_rows, _) in enumerate(folds):
            estimator = HybridClassifier(random_state=seed, **model_params)
            stored = None
            if cache_dir is not None and seed == protocol.random_state:
                stored = _stored_attention(cache_dir, dataset, fold, estimator, protocol, k)
            if stored is not None:
                rankings[seed, fold] = stored
                continue
            pipeline = make_pipeline(estimator, random_state=seed, **protocol.preprocessing)
            pipeline.fit(dataset.X[fit_rows], dataset.y[fit_rows])
            rankings[seed, fold] = attention(pipeline, dataset.X[fit_rows], dataset.feature_names)
    groups = {"across folds": [[(s, f) for f in range(len(folds))] for s in seeds],
              "across seeds": [[(s, f) for s in seeds] for f in range(len(folds))]}
    pairs = [(comparison, a, b, value)
             for comparison, members in groups.items() for keys in members if len(keys) > 1
             for (a, b), value in top_k_jaccard({key: rankings[key] for key in keys}, k).items()]
    return AttentionStability(k, rankings,
                              pd.DataFrame(pairs, columns=["comparison", "a", "b", "jaccard"]))


# -- correctness on known truth -----------------------------------------------------------------

def _f_scores(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ANOVA F of every column (0 where undefined: constant columns), a block of columns at a
    time (``blockwise``: bounds the F statistic's float64 working copy)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # "Features ... are constant."
        scores = blockwise(lambda columns: f_classif(columns, y)[0], X, axis=1)
    return np.nan_to_num(scores)


def _l1_coefficients(dataset: Dataset, rows: np.ndarray, random_state: int) -> pd.Series:
    """|coefficients| of the baselines' L1 logistic regression on min-max scaled training rows."""
    from .baselines import baseline_models  # baselines imports the model: keep the import local

    pipeline = make_pipeline(baseline_models(random_state)["l1_logistic"], smote=False,
                             undersample=False, augment=False, random_state=random_state)
    pipeline.fit(dataset.X[rows], dataset.y[rows])
    names = pipeline[:-1].get_feature_names_out(dataset.feature_names)
    return pd.Series(np.abs(pipeline[-1].coef_[0]), index=names)


def reference_rankings(dataset: Dataset, train_rows, random_state: int = 0) -> dict:
    """Two rankings of every gene that need no hybrid model, from the training rows only: the
    baselines' L1 logistic |coefficients| (min-max scaled) and the ANOVA F statistic."""
    train_rows = np.asarray(train_rows)
    return {"L1 logistic |coefficient|": _l1_coefficients(dataset, train_rows, random_state),
            "ANOVA F (training rows)": pd.Series(
                _f_scores(dataset.X[train_rows], dataset.y[train_rows]),
                index=dataset.feature_names)}


def _permutation_scores(model, dataset: Dataset, test_rows: np.ndarray,
                        candidates: np.ndarray, n_repeats: int, random_state: int) -> pd.Series:
    """Mean rise in held-out log loss when one candidate column is shuffled (the others stay).

    Log loss, not AUC: a model that separates the held-out rows perfectly keeps AUC 1 under
    most single shuffles, which would score nearly every gene 0."""
    X_test = dataset.X[test_rows]

    def negative_log_loss(estimator, X_candidates, y):
        X_full = X_test.copy()
        X_full[:, candidates] = X_candidates
        proba = estimator.predict_proba(X_full)   # float32 softmax: rows sum to 1 +- 1e-7
        return -log_loss(y, proba / proba.sum(axis=1, keepdims=True), labels=estimator.classes_)

    result = permutation_importance(model, X_test[:, candidates], dataset.y[test_rows],
                                    scoring=negative_log_loss, n_repeats=n_repeats,
                                    random_state=random_state, n_jobs=1)
    return pd.Series(result.importances_mean, index=dataset.feature_names[candidates])


def ground_truth_precision(model, dataset: Dataset, train_rows, test_rows, k: int = 20, *,
                           n_candidates: int = 200, n_repeats: int = 5,
                           random_state: int = 0) -> pd.DataFrame:
    """Precision@k of four gene rankings against a replica's planted informative genes.

    ``model`` (a HybridClassifier, or a pipeline ending in one) must have been fitted on
    ``dataset``'s ``train_rows`` only. The rankings:

    - ``hybrid attention``: its global TabNet attention over the training rows;
    - ``L1 logistic |coefficient|``: the baselines' L1 logistic regression fitted on the min-max
      scaled training rows;
    - ``ANOVA F (training rows)``: the univariate F statistic, a label-aware filter as reference;
    - ``permutation importance``: scikit-learn's ``permutation_importance`` of the hybrid on the
      held-out ``test_rows`` (rise in log loss, ``n_repeats`` shuffles). Shuffling each of 23,686
      genes is too slow, so only ``n_candidates`` genes are shuffled: those with the largest
      training-row F among the genes that reach the classifier (a pipeline's variance filter
      may drop some; shuffling those changes nothing). The others rank below them. This
      pre-selection favours genes with a marginal class difference (all planted effects here
      are such shifts): it caps what this ranking can find at what the F filter finds.

    ``chance`` is the precision of a random ranking (informative genes / features).
    ``n_above_zero`` counts the genes a ranking scores above 0: where it is below k (L1 zeroes
    most coefficients; shuffling a gene the model ignores raises no loss), the rest of the top
    k is the order of ties or noise (for permutation importance: the F order), not a finding.
    """
    truth = dataset.info.get("ground_truth", {}).get("informative_features")
    if truth is None:
        raise ValueError(f"{dataset.name!r} carries no planted truth (info['ground_truth']); "
                         f"only the replicas do. For pbmc68k compare with literature markers: "
                         f"marker_overlap(attention(...), k).")
    train_rows, test_rows = np.asarray(train_rows), np.asarray(test_rows)
    shared = np.intersect1d(train_rows, test_rows)
    if shared.size:
        raise ValueError(f"train_rows and test_rows share {shared.size} rows: permutation "
                         f"importance must be measured on rows the model never saw.")
    universe = dataset.feature_names
    truth = _check_truth(truth, universe)
    reaching = np.flatnonzero(np.isin(universe, _fitted(model, feature_names=universe).names))
    check_top_k(k, min(n_candidates, len(reaching)), "permutation candidates (n_candidates) or "
             "genes reaching the classifier, whichever is fewer")
    references = reference_rankings(dataset, train_rows, random_state)
    f_scores = references["ANOVA F (training rows)"]
    candidates = reaching[np.argsort(-f_scores.to_numpy()[reaching], kind="stable")]
    candidates = candidates[:n_candidates]
    rankings = {
        "hybrid attention": attention(model, dataset.X[train_rows], universe),
        **references,
        "permutation importance": _permutation_scores(model, dataset, test_rows, candidates,
                                                      n_repeats, random_state),
    }
    rows = []
    for method, ranking in rankings.items():
        top = top_genes(ranking, k)
        rows.append({"method": method, "k": k, "precision": precision_at_k(top, truth, k),
                     "hits": [gene for gene in top if gene in truth], "top_genes": top,
                     "n_above_zero": int((ranking > 0).sum()), "n_truth": len(truth),
                     "n_features": len(universe), "chance": len(truth) / len(universe)})
    return pd.DataFrame(rows)


PRECISION_COLUMNS = ["method", "k", "precision", "chance", "n_above_zero", "n_truth"]


def precision_table(precision: pd.DataFrame | None) -> pd.DataFrame:
    """``ground_truth_precision``'s rows in the columns the book shows (``PRECISION_COLUMNS``);
    an empty table where there was no planted truth to measure against (None)."""
    return pd.DataFrame() if precision is None else precision[PRECISION_COLUMNS]


@dataclass(frozen=True)
class MarkerOverlap:
    """Which top-k genes are known markers, and how surprising that many would be by chance.

    ``p_value``: hypergeometric P(at least ``len(hits)`` markers among k genes drawn at random
    from the ``universe_size`` ranked genes, ``n_markers`` of which are markers).
    """

    k: int
    hits: list[str]
    n_markers: int
    missing: list[str]
    universe_size: int
    expected: float
    p_value: float


def marker_overlap(ranking: pd.Series | Sequence[str], k: int = 20,
                   markers: Sequence[str] = B_CELL_MARKERS,
                   universe: Sequence[str] | None = None) -> MarkerOverlap:
    """The top-k genes of ``ranking`` that are in ``markers`` (default: ``B_CELL_MARKERS``, for
    pbmc68k), against the gene universe (default: the ranked genes). Markers outside the
    universe are listed in ``missing`` and left out of the test."""
    if universe is None:
        universe = ranking.index if isinstance(ranking, pd.Series) else ranking
    universe = set(universe)
    present = [gene for gene in markers if gene in universe]
    if not present:
        raise ValueError(f"None of the {len(markers)} markers is among the {len(universe)} "
                         f"ranked genes: check the gene naming (symbols, case).")
    hits = [gene for gene in top_genes(ranking, k) if gene in set(present)]
    return MarkerOverlap(
        k=k, hits=hits, n_markers=len(present),
        missing=[gene for gene in markers if gene not in universe],
        universe_size=len(universe), expected=k * len(present) / len(universe),
        p_value=float(hypergeom.sf(len(hits) - 1, len(universe), len(present), k)))


def marker_table(markers: Mapping[str, MarkerOverlap]) -> pd.DataFrame:
    """One row per ranking method of ``marker_overlap`` results (method -> MarkerOverlap): the
    markers found in its top k, how many were there to find, the count expected by chance and
    the hypergeometric p-value. Empty (no columns) when there are none."""
    return pd.DataFrame([
        {"method": method, "k": m.k, "markers found": ", ".join(m.hits), "n_found": len(m.hits),
         "markers present": m.n_markers, "expected by chance": round(m.expected, 2),
         "p_value": m.p_value} for method, m in markers.items()])


def tidy_tables(dataset_name: str, attention: pd.Series, precision: pd.DataFrame,
                markers: pd.DataFrame, stability: pd.DataFrame,
                n_attention: int = 50) -> dict[str, pd.DataFrame]:
    """Notebook 05's tidy files (``interpretability_<name>.csv``), each with a ``dataset``
    column: ``precision`` and ``markers`` (the tables above; empty stays empty), ``stability``
    (the Jaccard pairs) and ``attention`` (the top ``n_attention`` genes and their share)."""
    top = attention.head(n_attention).rename_axis("gene").reset_index()
    top.insert(0, "dataset", dataset_name)
    return {"precision": precision.assign(dataset=dataset_name) if len(precision) else precision,
            "markers": markers.assign(dataset=dataset_name) if len(markers) else markers,
            "stability": stability.assign(dataset=dataset_name), "attention": top}
