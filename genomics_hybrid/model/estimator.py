"""``HybridClassifier``: the hybrid network as a scikit-learn estimator.

    >>> from genomics_hybrid.model import HybridClassifier
    >>> clf = HybridClassifier(max_epochs=20, random_state=0).fit(X_train, y_train)
    >>> clf.predict_proba(X_test)[:, 1]

Training follows the paper in two stages. Stage 1 trains TabNet alone; its attention over the
training rows ranks the features and the top ``n_selected`` go on to the CNN. Stage 2 builds the
full network and trains everything jointly. It starts from stage 1's function (our choice; the
paper does not say how stage 2 starts): TabNet's weights, and a fusion head that reads TabNet's
embedding with stage 1's head and the CNN's with zeros (``HybridNetwork.warm_start``), so stage
1's validation loss is the joint stage's epoch 0 and joint training has to beat it. (From a
random head, the joint stage's validation loss rose from its first epoch on the ENCSR000AED
replica: the best joint epoch was epoch 1 on every fold.) Early stopping in both stages watches
the same validation rows: ``fit(X, y, validation=(X_val,
y_val))`` takes them from the caller (``preprocess.make_pipeline`` carves them from a fold's
real rows before SMOTE and augmentation), else a stratified share of the rows given to ``fit``
(``training.early_stopping_split``: the rule every deep model here follows).
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import io
import os
import secrets
from contextvars import ContextVar
from dataclasses import replace
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..code_digest import package_digest
from .._arrays import MAX_SEED, column_variance, release_free_memory
from .hybrid import VARIANTS, HybridNetwork
from .ordering import FEATURE_ORDERS, order_features
from .training import (LR_DECAY, MAX_EPOCHS, PATIENCE, TrainingSettings, auto_batch_size,
                       batches, epochs_to_train, held_out_split, stopping_warmup, train)

# Version 2 wraps the payload with its SHA-256 (version 1 files carried none and are refused).
SAVE_FORMAT = "genomics-hybrid/HybridClassifier/2"


class ModelFileError(ValueError):
    """A file ``HybridClassifier.load`` cannot use; the message names the file and the fix."""


# Where trained first stages are kept (``stage1_store``); None: nowhere, every fit trains its own.
_STAGE1_DIR: ContextVar[Path | None] = ContextVar("stage1_dir", default=None)


@contextlib.contextmanager
def stage1_store(directory: str | os.PathLike | None):
    """Within this block, every ``HybridClassifier.fit`` on the CPU keeps its trained stage 1
    (TabNet alone) in ``directory`` and starts from a stored one instead of training it again.

    Stage 1 depends on the training rows, the validation rows, the TabNet settings and the
    random state only, not on the variant: the comparison's hybrid and the ablation's
    TabNet-only and TabNet + CNN train the very same stage 1 on each fold. A stored stage holds
    the weights, the convergence record and the random-number state after it, keyed by a hash
    of all of these and of the random state before it, so a fit that reuses it gives exactly
    the numbers of one that trains it (``evaluation.fold_records`` keeps them beside its cache).
    """
    token = _STAGE1_DIR.set(None if directory is None else Path(directory))
    try:
        yield
    finally:
        _STAGE1_DIR.reset(token)


def resolve_device(device: str) -> torch.device:
    """``"auto"``: CUDA when PyTorch sees a GPU, else the CPU. A device PyTorch does not know,
    or CUDA on a machine without it, is refused here, before any training."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except RuntimeError:
        raise ValueError(f"device={device!r} is not a PyTorch device; use 'auto' (CUDA when "
                         f"present), 'cpu' or 'cuda' (or 'cuda:<index>').") from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}, but PyTorch sees no CUDA GPU here; use 'auto' or "
                         f"'cpu'.")
    return resolved


def cpu_state(state: dict) -> dict:
    """A fitted deep model's pickle state (``__getstate__``) with its ``network_`` on the CPU,
    so that a model trained on a GPU unpickles, and predicts, on a machine without one
    (``device_`` then reads cpu). A network already on the CPU is left as it is, uncopied."""
    network = state.get("network_")
    if network is None or all(p.device.type == "cpu" for p in network.parameters()):
        return state
    return {**state, "network_": copy.deepcopy(network).cpu(), "device_": torch.device("cpu")}


class HybridClassifier(ClassifierMixin, BaseEstimator):
    """TabNet attention -> Adaptive Feature Refiner -> 1-D CNN, fused with TabNet's embedding.

    Parameters
    ----------
    variant : "full", "tabnet_cnn" (no refiner), "tabnet_only" or "cnn_only" (Table 15).
    n_selected : features TabNet passes to the CNN (k; the paper does not give it). Capped at the
        number of input features.
    feature_order : order of the selected features along the CNN's axis: "cluster" (co-expressed
        genes adjacent, default), "importance" or "original"; see ``model.ordering``.
    n_d, n_a, n_steps, gamma, lambda_sparse, virtual_batch_size, mask_type : TabNet's, as in
        pytorch-tabnet (the paper gives none of them).
    cnn_channels, kernel_size, dropout, embedding_dim : the CNN (filters 64, 128, 256 and
        dropout 0.3 are the paper's).
    tabnet_lr : Adam's learning rate for stage 1, TabNet alone: pytorch-tabnet's default 0.02
        (also the authors' code's). At the paper's 1e-3, TabNet barely moves from its
        initialisation before early stopping on small sets, and its attention is then noise.
    lr, max_epochs, patience : the joint stage uses Adam with the paper's lr 1e-3; each stage
        runs up to ``max_epochs`` (the paper's 100) and stops early after ``patience`` epochs
        without a lower validation loss (10, every deep model's rule: ``training.PATIENCE``).
        Where the validation share would hold fewer than 20 rows (the small-data rule,
        ``training.MIN_VALIDATION_ROWS``) nothing is held back and each stage trains
        ``training.small_data_epochs`` (60 at the default decay) on every row.
    lr_decay : both stages multiply their learning rate by this after every epoch (0.95, every
        deep model's rule: ``training.LR_DECAY`` says why); 1 keeps it constant.
    batch_size : rows per step; "auto" takes n/8 clipped to [16, 256], so a set of a few dozen
        samples still gets several steps per epoch and a large one batches of 256.
    validation_fraction : share of the rows given to ``fit`` held back for early stopping when
        ``fit`` is given no ``validation`` rows (``training.early_stopping_split``: stratified,
        an error when a class has fewer than 2 rows); 0 trains ``max_epochs`` without early
        stopping.
    device : "auto" (CUDA when present), "cpu", "cuda", ...
    random_state : seeds weights, shuffling, dropout and the validation split; on the CPU the
        same seed gives the same model. None: fresh randomness, a new seed on every fit (as in
        scikit-learn).
    verbose : show tqdm progress bars over epochs.

    Fitted attributes: ``classes_``, ``n_features_in_``, ``feature_names_in_`` (DataFrame input),
    ``network_``, ``selected_features_`` (column indices in CNN order), ``selection_scores_``
    (what ranked them: TabNet attention, or training variance for ``cnn_only``),
    ``feature_importances_`` (TabNet's global attention, sums to 1; not for ``cnn_only``),
    ``convergence_`` (per stage, "tabnet" and/or "joint": ``training.convergence_record``, with
    the losses per epoch and ``stopped_by``), ``batch_size_``, ``device_``.
    """

    _parameter_constraints: dict = {
        "variant": [StrOptions(set(VARIANTS))],
        "n_selected": [Interval(Integral, 1, None, closed="left")],
        "feature_order": [StrOptions(set(FEATURE_ORDERS))],
        "n_d": [Interval(Integral, 1, None, closed="left")],
        "n_a": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 1, None, closed="left")],
        "lambda_sparse": [Interval(Real, 0, None, closed="left")],
        "virtual_batch_size": [Interval(Integral, 2, None, closed="left")],
        "mask_type": [StrOptions({"sparsemax", "entmax"})],
        "cnn_channels": [tuple, list],
        "kernel_size": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "tabnet_lr": [Interval(Real, 0, None, closed="neither")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left"), StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "device": [str],
        "random_state": [Interval(Integral, 0, MAX_SEED, closed="both"), None],
        "verbose": ["boolean"],
    }

    def __init__(self, variant: str = "full", n_selected: int = 256,
                 feature_order: str = "cluster", n_d: int = 16, n_a: int = 16,
                 n_steps: int = 3, gamma: float = 1.3, lambda_sparse: float = 1e-3,
                 virtual_batch_size: int = 128, mask_type: str = "sparsemax",
                 cnn_channels: tuple[int, ...] = (64, 128, 256), kernel_size: int = 3,
                 dropout: float = 0.3, embedding_dim: int = 128, tabnet_lr: float = 2e-2,
                 lr: float = 1e-3, lr_decay: float = LR_DECAY, max_epochs: int = MAX_EPOCHS,
                 patience: int = PATIENCE, batch_size: int | str = "auto",
                 validation_fraction: float = 0.15, device: str = "auto",
                 random_state: int | None = 0, verbose: bool = False):
        self.variant = variant
        self.n_selected = n_selected
        self.feature_order = feature_order
        self.n_d = n_d
        self.n_a = n_a
        self.n_steps = n_steps
        self.gamma = gamma
        self.lambda_sparse = lambda_sparse
        self.virtual_batch_size = virtual_batch_size
        self.mask_type = mask_type
        self.cnn_channels = cnn_channels
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.embedding_dim = embedding_dim
        self.tabnet_lr = tabnet_lr
        self.lr = lr
        self.lr_decay = lr_decay
        self.max_epochs = max_epochs
        self.patience = patience
        self.batch_size = batch_size
        self.validation_fraction = validation_fraction
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # -- pieces --------------------------------------------------------------------------------

    def _tabnet_params(self) -> dict:
        return {"n_d": self.n_d, "n_a": self.n_a, "n_steps": self.n_steps, "gamma": self.gamma,
                "virtual_batch_size": self.virtual_batch_size, "mask_type": self.mask_type}

    def _cnn_params(self) -> dict:
        return {"channels": tuple(self.cnn_channels), "kernel_size": self.kernel_size,
                "dropout": self.dropout, "embedding_dim": self.embedding_dim}

    def _network(self, variant: str, selected: np.ndarray | None) -> HybridNetwork:
        return HybridNetwork(self.n_features_in_, None if selected is None else
                             torch.as_tensor(selected), len(self.classes_), variant,
                             self._tabnet_params(), self._cnn_params())

    def _check_cnn_params(self) -> None:
        """What ``_parameter_constraints`` cannot say: the CNN's kernel is odd (a length-
        preserving convolution) and every layer has at least one filter. Checked before stage 1
        trains, not when the CNN is built after it."""
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (the convolution keeps the sequence's "
                             f"length), got {self.kernel_size}.")
        channels = list(self.cnn_channels)
        if not channels or not all(isinstance(c, Integral) and c >= 1 for c in channels):
            raise ValueError(f"cnn_channels must be a non-empty sequence of positive integers "
                             f"(filters per convolution layer, e.g. (64, 128, 256)), got "
                             f"{self.cnn_channels!r}.")

    def _attention(self, network: HybridNetwork, X: torch.Tensor,
                   rows: torch.Tensor | None = None) -> np.ndarray:
        """Global TabNet attention over the rows of X (``rows`` of them when given),
        normalised to sum 1 (pytorch-tabnet's rule)."""
        total = torch.zeros(X.shape[1], dtype=torch.float64)
        network.eval()
        with torch.no_grad():
            for idx in batches(len(X) if rows is None else len(rows), self.batch_size_, None):
                batch = X[idx if rows is None else rows[idx]]
                explain, _ = network.tabnet.encoder.forward_masks(batch.to(self.device_),
                                                                  keep_masks=False)
                total += explain.sum(dim=0).double().cpu()
        return (total / total.sum()).numpy()

    def _first_stage(self, network: HybridNetwork, X: torch.Tensor, y: torch.Tensor,
                     validation, settings: TrainingSettings, generator: torch.Generator,
                     rows: torch.Tensor | None = None) -> dict:
        """Train stage 1 (``network``: TabNet alone) on ``X[rows]`` (all of X without
        ``rows``) and return its convergence record, or load it from the ``stage1_store`` in
        effect: weights, record and the random state after it."""
        directory = _STAGE1_DIR.get()
        if directory is None or self.device_.type != "cpu":
            return train(network, X, y, validation, settings, generator, self.device_, "TabNet",
                         self.verbose, rows=rows)
        shape = (len(y), X.shape[1])
        digest = hashlib.sha256(repr((settings, stopping_warmup(settings.lr_decay),
                                      self._tabnet_params(), shape,
                                      len(self.classes_), torch.get_num_threads(),
                                      torch.__version__, package_digest())).encode())
        # The training rows' bytes, a block of rows at a time (the digest of X[rows] whole).
        for start in range(0, len(y), 256):
            block = slice(start, start + 256)
            digest.update((X[block] if rows is None else X[rows[block]]).numpy().tobytes())
        for part in (y, *(validation or ()), torch.get_rng_state(), generator.get_state()):
            digest.update(part.numpy().tobytes())
        path = directory / f"stage1-{digest.hexdigest()[:32]}.pt"
        try:
            stored = torch.load(path, weights_only=True)
            network.load_state_dict(stored["weights"])
        except Exception:  # noqa: BLE001 - none yet, or unreadable: trained and replaced below
            stored = None
        if stored is not None:
            torch.set_rng_state(stored["rng"])
            generator.set_state(stored["generator"])
            return stored["convergence"]
        record = train(network, X, y, validation, settings, generator, self.device_, "TabNet",
                       self.verbose, rows=rows)
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        torch.save({"weights": network.state_dict(), "convergence": record,
                    "rng": torch.get_rng_state(), "generator": generator.get_state()}, partial)
        os.replace(partial, path)
        return record

    # -- scikit-learn API ----------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, validation=None):
        """Train on (X, y). ``validation``: optional ``(X_val, y_val)`` rows that decide when
        each stage stops (never trained on); without it a share of (X, y) is held back."""
        self._check_cnn_params()
        self.device_ = resolve_device(self.device)
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"HybridClassifier needs at least two classes to learn from; y "
                             f"holds only {self.classes_[0]!r} ({len(y)} samples).")
        if np.ptp(X, axis=0).max() == 0:
            # TabNet's batch norm has nothing to scale and its attention turns to NaN.
            raise ValueError(f"Every one of the {X.shape[1]} features of X is constant (the "
                             f"same value in all {len(X)} rows): there is nothing to learn "
                             f"from. Check the matrix (e.g. a filter that left only empty "
                             f"genes).")
        y_encoded = y_encoded.astype(np.int64)
        seed = secrets.randbits(32) if self.random_state is None else int(self.random_state)
        torch.manual_seed(seed)
        generator = torch.Generator().manual_seed(seed)
        # The training rows are indexed in X, never copied out of it (held_out_split).
        X = np.ascontiguousarray(X)
        fit_rows, y_fit, held = held_out_split(self, X, y_encoded, validation, self.classes_)
        X_all, y_fit = torch.from_numpy(X), torch.from_numpy(y_fit)
        rows = None if fit_rows is None else torch.from_numpy(fit_rows)
        validation = None if held is None else tuple(map(torch.from_numpy, held))
        self.batch_size_ = (auto_batch_size(len(y_fit)) if self.batch_size == "auto"
                            else int(self.batch_size))
        joint = TrainingSettings(self.lr, epochs_to_train(self, validation is not None),
                                 self.patience, self.batch_size_,
                                 self.lambda_sparse, self.lr_decay)
        self.convergence_ = {}
        k = min(self.n_selected, self.n_features_in_)
        variance = column_variance(X, fit_rows)

        if self.variant == "cnn_only":
            self.selection_scores_ = variance
        else:
            stage1 = self._network("tabnet_only", None).to(self.device_)
            self.convergence_["tabnet"] = self._first_stage(
                stage1, X_all, y_fit, validation, replace(joint, lr=self.tabnet_lr), generator,
                rows)
            self.feature_importances_ = self._attention(stage1, X_all, rows)
            self.selection_scores_ = self.feature_importances_
            if self.variant == "tabnet_only":
                self.network_ = stage1
                self.selected_features_ = np.empty(0, dtype=np.int64)
                return self
        # Rank by score; ties (sparsemax gives many exact zeros) go to the more variable feature.
        ranked = np.lexsort((-variance, -self.selection_scores_))[:k]
        self.selected_features_ = order_features(X, ranked, self.feature_order, fit_rows)
        release_free_memory()  # what the attention pass left free on the heap
        self.network_ = self._network(self.variant, self.selected_features_).to(self.device_)
        warm = self.variant != "cnn_only"
        if warm:
            self.network_.warm_start(stage1)
        self.convergence_["joint"] = train(self.network_, X_all, y_fit, validation, joint,
                                           generator, self.device_, self.variant, self.verbose,
                                           warm_start=warm, rows=rows)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (softmax of the fused logits), columns in ``classes_`` order."""
        check_is_fitted(self, "network_")
        X = torch.from_numpy(np.ascontiguousarray(
            validate_data(self, X, dtype=np.float32, reset=False)))
        self.network_.eval()
        out = []
        with torch.no_grad():
            for idx in batches(len(X), self.batch_size_, None):
                logits, _ = self.network_(X[idx].to(self.device_))
                out.append(torch.softmax(logits, dim=1).double().cpu())
        return torch.cat(out).numpy()

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    @property
    def refiner_weights_(self) -> np.ndarray:
        """The refiner's softmax weights for ``selected_features_`` (``full`` variant only)."""
        check_is_fitted(self, "network_")
        if self.network_.refiner is None:
            raise AttributeError(f"variant {self.variant!r} has no Adaptive Feature Refiner.")
        return self.network_.refiner.weights().detach().cpu().numpy()

    # -- persistence ---------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> Path:
        """Write parameters, fitted attributes and weights with ``torch.save`` (tensors and
        plain values only, so ``load`` never unpickles code), with the SHA-256 of that payload,
        so that ``load`` refuses a file damaged or edited since."""
        check_is_fitted(self, "network_")
        path = Path(path)
        if path.is_dir():
            raise IsADirectoryError(f"Cannot save to {path}: it is a folder. Name a file in it, "
                                    f"e.g. {path / 'model.pt'}.")
        if not path.parent.is_dir():
            raise FileNotFoundError(f"Cannot save to {path}: the folder {path.parent} does not "
                                    f"exist. Create it first.")
        params = self.get_params()
        params["cnn_channels"] = list(params["cnn_channels"])
        fitted = {
            "classes": self.classes_.tolist(),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": getattr(self, "feature_names_in_", np.empty(0)).tolist(),
            "selected_features": torch.as_tensor(self.selected_features_),
            "selection_scores": torch.as_tensor(self.selection_scores_),
            "batch_size": self.batch_size_,
            "convergence": self.convergence_,
        }
        state = {key: value.cpu() for key, value in self.network_.state_dict().items()}
        buffer = io.BytesIO()
        torch.save({"params": params, "fitted": fitted, "state": state}, buffer)
        payload = buffer.getvalue()
        torch.save({"format": SAVE_FORMAT, "sha256": hashlib.sha256(payload).hexdigest(),
                    "payload": torch.frombuffer(bytearray(payload), dtype=torch.uint8)}, path)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, device: str = "auto") -> "HybridClassifier":
        """A fitted classifier from ``save``'s file. The file is read with
        ``weights_only=True`` (nothing in it is ever run) and its payload must match the
        SHA-256 stored beside it: a truncated, foreign or edited file is a ``ModelFileError``."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No model file at {path}: check the path (relative paths "
                                    f"start at {Path.cwd()}).")
        outer = _read_weights(path, path)
        if not isinstance(outer, dict) or outer.get("format") != SAVE_FORMAT:
            found = outer.get("format") if isinstance(outer, dict) else None
            raise ModelFileError(
                f"{path} is not a HybridClassifier file written by HybridClassifier.save "
                f"(format {SAVE_FORMAT}; found {found or type(outer).__name__!r}). Refit the "
                f"model and save it again with this version.")
        payload = outer.get("payload")
        payload = payload.numpy().tobytes() if isinstance(payload, torch.Tensor) else b""
        if hashlib.sha256(payload).hexdigest() != outer.get("sha256"):
            raise ModelFileError(f"{path} was damaged or edited after it was saved: its payload "
                                 f"does not match the SHA-256 stored with it. Use an intact "
                                 f"copy, or refit and save the model again.")
        content = _read_weights(io.BytesIO(payload), path)
        device_ = resolve_device(device)
        try:
            return cls._from_payload(content, device, device_)
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            raise ModelFileError(f"{path} passes its checksum but does not hold what "
                                 f"HybridClassifier.save writes ({type(exc).__name__}: "
                                 f"{exc}). Refit and save the model again.") from exc

    @classmethod
    def _from_payload(cls, content: dict, device: str,
                      device_: torch.device) -> "HybridClassifier":
        params = dict(content["params"], device=device)
        params["cnn_channels"] = tuple(params["cnn_channels"])
        model, fitted = cls(**params), content["fitted"]
        model._validate_params()
        model.classes_ = np.asarray(fitted["classes"])
        model.n_features_in_ = fitted["n_features_in"]
        if fitted["feature_names_in"]:
            model.feature_names_in_ = np.asarray(fitted["feature_names_in"], dtype=object)
        model.selected_features_ = fitted["selected_features"].numpy()
        model.selection_scores_ = fitted["selection_scores"].numpy()
        if model.variant != "cnn_only":
            model.feature_importances_ = model.selection_scores_
        model.convergence_ = fitted["convergence"]
        model.device_ = device_
        model.batch_size_ = fitted["batch_size"]
        selected = None if model.variant == "tabnet_only" else model.selected_features_
        model.network_ = model._network(model.variant, selected)
        model.network_.load_state_dict(content["state"])
        model.network_.to(model.device_).eval()
        return model


def _read_weights(source, path: Path):
    """``torch.load(source, weights_only=True)``, its failures (a truncated archive, a pickle
    of objects or code it refuses, text) turned into a ``ModelFileError`` that names ``path``.
    PyTorch's own message for a refused pickle suggests ``weights_only=False``, which would run
    whatever the file holds: it is not passed on."""
    try:
        return torch.load(source, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises a dozen types for a file that is not its archive
        raise ModelFileError(
            f"{path} is not a readable HybridClassifier file ({type(exc).__name__}): it is "
            f"truncated or damaged, or it holds something else (a pickled object or code, which "
            f"is never loaded). Use the file HybridClassifier.save wrote, or refit and save the "
            f"model again.") from None
