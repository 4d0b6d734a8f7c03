"""Network introspection: what the fitted hybrid's layers hold for given rows, read batch by
batch: TabNet attention per gene (``attention``), the Adaptive Feature Refiner's weights
(``refiner_weights``), the CNN's activation maps per conv block (``activation_maps``) and
Grad-CAM (``grad_cam``). Nothing here fits a model or judges a ranking (``rankings``, ``checks``).

Every function takes the fitted ``HybridClassifier``, or a fitted pipeline ending in one
(``preprocess.make_pipeline``): then ``X`` holds the raw columns, the pipeline's transform steps
run batch by batch (its samplers are skipped, as when predicting) and the scores are mapped to
the names of the columns the classifier saw. Rows go through the network ``batch_size_`` at a
time in float32: a 4,500 x 23,686 input is never copied whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
import torch
from sklearn.exceptions import NotFittedError
from torch import nn

from .._arrays import check_top_k
from ..model import HybridClassifier


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
    # captum takes a second to import: only Grad-CAM needs it, not every job that imports this
    from captum.attr import LayerAttribution, LayerGradCam

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
