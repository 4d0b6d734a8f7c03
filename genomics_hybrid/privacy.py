"""Privacy: the paper's Algorithm 4 with stated (epsilon, delta), its comparators, and attacks.

Algorithm 4 protects the training data before the model sees it: TabNet's attention scores
each feature's sensitivity, and, in the paper's words, "features that carry a high risk of
privacy exposure receive stronger noise, while others are masked or slightly dropped". The
paper gives no thresholds, no formula and no accounting. ``AdaptivePrivacy(roles="paper")``
is our reading of that sentence, with its thresholds stated: a feature is high-risk when its
attention share is at least the mean share 1/d (more than uniform attention would give it);
high-risk features get noise that grows with their risk, calibrated to (epsilon, delta) over
them; every other feature is "slightly dropped": each of its training values is set to 0 with
probability ``drop_rate`` (0.1). The low-risk features then carry no formal guarantee, so the
record-level epsilon of this reading is infinite (``epsilon_record_``); what the budget covers
is the high-risk features (``epsilon_high_risk_``). ``roles="mask_riskiest"`` is an
alternative of ours (not the paper's): the riskiest ``mask_fraction`` of the features masked,
noise on all the others, which does give a record-level guarantee.

**What is protected.** One training sample's feature vector (neighbouring data sets differ in
one sample's whole vector), after min-max scaling, so each feature lies in [0, 1] and changes by
at most 1. Noise is added to each training row once, before SMOTE and augmentation (which are
then post-processing), and test rows are never perturbed (they are only masked).

**Noise scales.** Each released feature j gets a relative scale a_j = 1 + adaptivity * r_j /
max(r) (r_j: its attention share; a_j = 1 for the uniform comparator), and the absolute scale
follows from the budget:

- Laplace, pure epsilon-DP: b_j = c * a_j with c = sum_k(1 / a_k) / epsilon, because the L1
  sensitivity of the rescaled vector (x_j / b_j) is sum_j 1 / b_j;
- Gaussian, (epsilon, delta)-DP: sigma_j = c * a_j with c = sqrt(sum_k a_k^-2) / D(epsilon,
  delta), where D is the largest L2 sensitivity the unit-variance Gaussian mechanism can take at
  (epsilon, delta), by the analytic Gaussian mechanism (Balle & Wang 2018, Theorem 8), because
  the L2 sensitivity of (x_j / sigma_j) is sqrt(sum_j sigma_j^-2).

**Noise set directly.** ``noise_scale`` fixes the scale instead of the budget: sigma_j (or b_j)
= noise_scale * a_j, in units of the [0, 1] range. Nothing is then calibrated; what the noise
buys is reported in both accountings (``noise_epsilons``): the epsilon of one feature value
alone (``epsilon_feature_``, the least-noised feature) and the epsilon of the whole noised
vector, composed exactly for the Gaussian (L2 sensitivity sqrt(sum_j sigma_j^-2)) and by basic
composition for Laplace (``epsilon_high_risk_``; ``epsilon_record_`` when every released
feature is noised). The privacy grid's noise curve uses it (``experiments.privacy_grid``).

``scope="record"`` spends epsilon on the whole vector (the guarantee stated above);
``scope="feature"`` gives every single feature value its own (epsilon, delta) (each a_j >= 1),
a weaker guarantee often meant in papers: the record-level epsilon it composes to is reported in
``epsilon_record_``.

**Caveats, stated rather than hidden.** The min-max range and the attention that allocates the
budget are computed from the unprotected training rows, as in Algorithm 4: the guarantee covers
the released feature values given them. Labels are not protected. For a formally accounted
training procedure see ``DPSGDClassifier`` (DP-SGD with Opacus's accountant).
"""

from __future__ import annotations

import hashlib
import math
import warnings
from numbers import Integral, Real
from typing import Mapping

import numpy as np
import torch
from scipy.optimize import brentq
from scipy.stats import norm
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, _fit_context
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from torch.utils.data import DataLoader, TensorDataset

from .code_digest import package_digest
from ._arrays import MAX_SEED
from .model import HybridClassifier, HybridNetwork
from .model.estimator import cpu_state, resolve_device
from .model.training import (LR_DECAY, MAX_EPOCHS, PATIENCE, EarlyStopping, adam,
                             convergence_record, held_out_rows, mean_loss, stopping_warmup)

MECHANISMS = ("gaussian", "laplace", "none")
BUDGETS = ("adaptive", "uniform")
ROLES = ("paper", "mask_riskiest")
SCOPES = ("record", "feature")
DEFAULT_DELTA = 1e-5


def check_budget(epsilon: float, delta: float, mechanism: str = "gaussian") -> None:
    """A budget a mechanism can spend: epsilon positive and finite (any real number type,
    numpy's included), delta strictly between 0 and 1 unless the mechanism is Laplace (pure
    epsilon-DP: it has no delta, so whatever is passed is ignored)."""
    if not (isinstance(epsilon, Real) and math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(f"epsilon must be a positive finite number, got {epsilon!r}; smaller "
                         f"is more private (no privacy: leave the privacy step out).")
    if mechanism != "laplace" and not (isinstance(delta, Real) and 0 < delta < 1):
        raise ValueError(f"delta must lie strictly between 0 and 1, got {delta!r}; use "
                         f"much less than 1 / n_samples, e.g. {DEFAULT_DELTA}.")


def check_delta_rule(delta: float, n_rows: int) -> None:
    """Refuse a delta of at least 1/n: a mechanism that publishes one of n training rows in the
    clear, picked at random, is (0, 1/n)-DP, so at such a delta the guarantee says nothing.
    The usual rule is delta well below 1/n."""
    if delta >= 1 / n_rows:
        raise ValueError(f"delta={delta} is not below 1/n = 1/{n_rows} (n: the training rows): "
                         f"at that delta, publishing one training row in the clear meets the "
                         f"guarantee. Use a delta well below 1/n, e.g. {DEFAULT_DELTA}.")


def _gaussian_delta(sensitivity: float, epsilon: float) -> float:
    """delta of the unit-variance Gaussian mechanism at L2 sensitivity D (Balle & Wang 2018):
    Phi(D/2 - eps/D) - exp(eps) Phi(-D/2 - eps/D), the second term in log space."""
    a, b = sensitivity / 2 - epsilon / sensitivity, -sensitivity / 2 - epsilon / sensitivity
    return float(norm.cdf(a) - math.exp(min(epsilon + norm.logcdf(b), 700.0)))


def gaussian_max_sensitivity(epsilon: float, delta: float) -> float:
    """The largest L2 sensitivity D for which N(0, 1) noise is (epsilon, delta)-DP."""
    check_budget(epsilon, delta)
    high = 1.0
    while _gaussian_delta(high, epsilon) < delta:
        high *= 2
    return brentq(lambda d: _gaussian_delta(d, epsilon) - delta, 1e-12, high, xtol=1e-12)


def gaussian_epsilon(sensitivity: float, delta: float) -> float:
    """The epsilon of N(0, 1) noise on a query of L2 sensitivity D at the given delta."""
    if _gaussian_delta(sensitivity, 1e-12) <= delta:
        return 0.0
    high = 1.0
    while _gaussian_delta(sensitivity, high) > delta:
        high *= 2
    return brentq(lambda e: _gaussian_delta(sensitivity, e) - delta, 0.0, high, xtol=1e-10)


def noise_scales(relative: np.ndarray, mechanism: str, epsilon: float, delta: float,
                 scope: str = "record") -> tuple[np.ndarray, float]:
    """Per-feature noise scales (Laplace b_j or Gaussian sigma_j) proportional to ``relative``,
    calibrated to the budget, and the record-level epsilon they give (see the module text)."""
    relative = np.asarray(relative, dtype=np.float64)
    if relative.size == 0 or np.any(relative <= 0):
        raise ValueError("noise_scales needs at least one feature and positive relative scales.")
    check_budget(epsilon, delta, mechanism)
    if mechanism == "laplace":
        scales = relative * (np.sum(1 / relative) / epsilon if scope == "record" else
                             1 / epsilon)
    elif mechanism == "gaussian":
        bound = gaussian_max_sensitivity(epsilon, delta)
        scales = relative * (np.sqrt(np.sum(relative ** -2.0)) / bound if scope == "record"
                             else 1 / bound)
    else:
        raise ValueError(f"mechanism must be 'gaussian' or 'laplace' to add noise, got "
                         f"{mechanism!r}.")
    return scales, noise_epsilons(scales, mechanism, delta)[1]


def noise_epsilons(scales: np.ndarray, mechanism: str, delta: float) -> tuple[float, float]:
    """What noise of the given per-feature scales buys, on features in [0, 1]: the epsilon of
    one feature value alone (the least-noised feature's: the weakest single guarantee) and the
    epsilon of the whole vector (Gaussian: exact L2 composition; Laplace: the sum)."""
    scales = np.asarray(scales, dtype=np.float64)
    if scales.size == 0 or np.any(scales <= 0):
        raise ValueError("noise_epsilons needs at least one feature and positive noise scales.")
    if mechanism == "laplace":
        return float(1 / scales.min()), float(np.sum(1 / scales))
    if mechanism == "gaussian":
        return (gaussian_epsilon(float(1 / scales.min()), delta),
                gaussian_epsilon(float(np.sqrt(np.sum(scales ** -2.0))), delta))
    raise ValueError(f"mechanism must be 'gaussian' or 'laplace' to add noise, got "
                     f"{mechanism!r}.")


# Risk scores by (training rows, TabNet settings), oldest dropped first: one grid's folds.
_RISK_MEMO: dict[str, np.ndarray] = {}
_RISK_MEMO_SIZE = 32


class AdaptivePrivacy(TransformerMixin, BaseEstimator):
    """Algorithm 4 as a pipeline step: perturb the training rows by TabNet's risk scores (the
    module text says how, for each of the two ``roles``), leave test rows unperturbed (only
    masked columns dropped).

    Place it right after min-max scaling (``preprocess.make_pipeline(privacy=...)`` does).
    ``fit_transform`` returns the protected training rows; ``transform`` (test rows) drops the
    masked columns only: that is input perturbation of the training data, so on purpose
    ``fit_transform(X)`` differs from ``fit(X).transform(X)``.

    Parameters: ``mechanism`` "gaussian", "laplace" or "none" (masking alone); ``epsilon`` and
    ``delta`` the budget (``delta`` is unused by Laplace; Gaussian needs it positive and below
    1/n, ``check_delta_rule``); ``noise_scale`` (None: calibrate to ``epsilon``) the noise of
    the least-risky noised feature in units of the [0, 1] range, instead of a budget (module
    text: what it buys is reported, ``epsilon`` is not used); ``budget`` "adaptive" (noise grows
    with attention) or "uniform" (the comparator: the same budget spread evenly);
    ``roles`` "paper" (high-risk features noised, the others lightly dropped) or
    "mask_riskiest" (ours: the riskiest features masked, all others noised); ``drop_rate``
    the share of a low-risk feature's training values set to 0 (``roles="paper"``);
    ``mask_fraction`` the share of features, highest attention first, that are dropped
    (``roles="mask_riskiest"`` only);
    ``adaptivity`` how much stronger the riskiest feature's noise is (a_j in [1, 1 +
    adaptivity]); ``scope`` "record" or "feature" (module text); ``attention_epochs`` and
    ``attention_patience`` the epoch cap and early-stopping patience of the TabNet fitted on the
    training rows to score risk (the rule of every deep model, ``model.training``);
    ``random_state`` (an int: results must be reproducible) seeds it and the noise.

    The risk scores depend on the training rows and the TabNet settings only, not on the budget
    or the mask share, so they are computed once per set of rows and reused (in memory) by the
    other cells of a privacy grid: the same numbers, a sixth of the TabNet fits.

    Fitted: ``risk_`` (attention share per input feature), ``kept_`` (indices of released
    features), ``scales_`` (noise scale per released feature, 0 where none), ``high_risk_``
    (released features that are noised: a boolean per ``kept_`` feature), ``epsilon_record_``
    (the guarantee for a whole row: inf when some released feature has no noise),
    ``epsilon_high_risk_`` (the guarantee for the noised features' values together) and
    ``epsilon_feature_`` (the guarantee for one noised feature value alone; inf: no noise).
    """

    _parameter_constraints: dict = {
        "mechanism": [StrOptions(set(MECHANISMS))],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="left")],
        "noise_scale": [None, Interval(Real, 0, None, closed="neither")],
        "budget": [StrOptions(set(BUDGETS))],
        "roles": [StrOptions(set(ROLES))],
        "drop_rate": [Interval(Real, 0, 1, closed="left")],
        "mask_fraction": [Interval(Real, 0, 1, closed="left")],
        "adaptivity": [Interval(Real, 0, None, closed="left")],
        "scope": [StrOptions(set(SCOPES))],
        "attention_epochs": [Interval(Integral, 1, None, closed="left")],
        "attention_patience": [Interval(Integral, 1, None, closed="left")],
        "random_state": [Interval(Integral, 0, MAX_SEED, closed="both")],
    }

    def __init__(self, mechanism: str = "gaussian", epsilon: float = 1.0,
                 delta: float = DEFAULT_DELTA, noise_scale: float | None = None,
                 budget: str = "adaptive", roles: str = "paper",
                 drop_rate: float = 0.1, mask_fraction: float = 0.0, adaptivity: float = 1.0,
                 scope: str = "record",
                 attention_epochs: int = MAX_EPOCHS, attention_patience: int = PATIENCE,
                 random_state: int = 0):
        self.mechanism = mechanism
        self.epsilon = epsilon
        self.delta = delta
        self.noise_scale = noise_scale
        self.budget = budget
        self.roles = roles
        self.drop_rate = drop_rate
        self.mask_fraction = mask_fraction
        self.adaptivity = adaptivity
        self.scope = scope
        self.attention_epochs = attention_epochs
        self.attention_patience = attention_patience
        self.random_state = random_state

    def _attention(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        key = hashlib.blake2b(np.ascontiguousarray(X).tobytes() + np.asarray(y).tobytes() +
                              repr((X.shape, self.attention_epochs, self.attention_patience,
                                    self.random_state, package_digest())).encode()).hexdigest()
        if key not in _RISK_MEMO:
            tabnet = HybridClassifier(variant="tabnet_only", max_epochs=self.attention_epochs,
                                      patience=self.attention_patience,
                                      random_state=self.random_state)
            _RISK_MEMO[key] = tabnet.fit(X, y).feature_importances_
            while len(_RISK_MEMO) > _RISK_MEMO_SIZE:
                _RISK_MEMO.pop(next(iter(_RISK_MEMO)))
        return _RISK_MEMO[key].copy()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=np.float32)
        if self.mechanism == "gaussian":
            if self.noise_scale is None:
                check_budget(self.epsilon, self.delta)
            check_delta_rule(self.delta, len(X))
        if X.min() < -1e-6 or X.max() > 1 + 1e-6:
            raise ValueError(f"AdaptivePrivacy needs features min-max scaled to [0, 1] (its "
                             f"sensitivity is that range); got values in [{X.min():.3g}, "
                             f"{X.max():.3g}]. Put it after the scaler.")
        if self.roles == "paper" and self.mask_fraction > 0:
            raise ValueError("mask_fraction belongs to roles='mask_riskiest'; with roles="
                             "'paper' the low-risk features are dropped at drop_rate, none "
                             "masked. Set mask_fraction=0 or roles='mask_riskiest'.")
        needs_risk = (self.roles == "paper" or self.budget == "adaptive"
                      or self.mask_fraction > 0)
        self.risk_ = self._attention(X, y) if needs_risk else np.full(X.shape[1], 1 / X.shape[1])
        n_masked = int(math.floor(self.mask_fraction * X.shape[1]))
        # Highest risk first; ties (sparsemax gives exact zeros) by column index.
        masked = np.argsort(-self.risk_, kind="stable")[:n_masked]
        self.kept_ = np.setdiff1d(np.arange(X.shape[1]), masked)
        risk = self.risk_[self.kept_]
        # High risk: at least the mean attention share 1/d (a relative tolerance for rounding).
        self.high_risk_ = (risk * X.shape[1] >= 1 - 1e-9 if self.roles == "paper"
                           else np.ones(len(risk), dtype=bool))
        self.scales_ = np.zeros(len(self.kept_))
        self.epsilon_record_ = self.epsilon_high_risk_ = self.epsilon_feature_ = math.inf
        if self.mechanism == "none" or not self.high_risk_.any():
            return self
        noised = risk[self.high_risk_]
        relative = (1 + self.adaptivity * noised / noised.max()
                    if self.budget == "adaptive" and noised.max() > 0 else np.ones(len(noised)))
        self.scales_[self.high_risk_] = (
            self.noise_scale * relative if self.noise_scale is not None else
            noise_scales(relative, self.mechanism, self.epsilon, self.delta, self.scope)[0])
        self.epsilon_feature_, self.epsilon_high_risk_ = noise_epsilons(
            self.scales_[self.high_risk_], self.mechanism, self.delta)
        if self.high_risk_.all():
            self.epsilon_record_ = self.epsilon_high_risk_
        return self

    def transform(self, X):
        """Rows that are not training rows: masked columns dropped, no noise."""
        check_is_fitted(self, "kept_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return X[:, self.kept_]

    def get_feature_names_out(self, input_features=None) -> np.ndarray:
        """Names of the released (unmasked) features, for explanations after this step."""
        check_is_fitted(self, "kept_")
        names = (np.asarray(input_features, dtype=object) if input_features is not None else
                 np.array([f"x{i}" for i in range(self.n_features_in_)], dtype=object))
        return names[self.kept_]

    def fit_transform(self, X, y=None, **fit_params):
        """The protected training rows: masked columns dropped, noise added to the high-risk
        columns and clipped to [0, 1] (clipping is post-processing: it costs no privacy), and
        with ``roles="paper"`` each value of the other columns set to 0 with probability
        ``drop_rate``."""
        if y is None:
            raise ValueError("AdaptivePrivacy scores risk with TabNet, which needs labels y.")
        kept = self.fit(X, y).transform(X)  # a new array: X[:, kept_] copies
        rng = np.random.default_rng(self.random_state)
        if self.mechanism != "none" and self.high_risk_.any():
            draw = rng.laplace if self.mechanism == "laplace" else rng.normal
            noised = kept[:, self.high_risk_]
            noise = draw(0.0, 1.0, size=noised.shape) * self.scales_[self.high_risk_]
            kept[:, self.high_risk_] = np.clip(noised + noise, 0.0, 1.0)
        low_risk = ~self.high_risk_
        if self.roles == "paper" and self.drop_rate > 0 and low_risk.any():
            dropped = rng.random((len(kept), int(low_risk.sum()))) < self.drop_rate
            kept[:, low_risk] = np.where(dropped, 0.0, kept[:, low_risk])
        return kept.astype(np.float32)


class DPSGDClassifier(ClassifierMixin, BaseEstimator):
    """The hybrid's TabNet branch trained with DP-SGD (Opacus): the formally accounted reference.

    Per-sample gradients are clipped to ``max_grad_norm`` and Gaussian noise is added, with the
    noise multiplier calibrated so that ``max_epochs`` epochs of Poisson-sampled batches
    (expected size ``batch_size``) spend ``epsilon`` at ``delta`` by Opacus's PRV accountant
    (Gopi et al. 2021; the RDP accountant cannot certify epsilon below about 0.2 at delta 1e-5
    with Opacus's orders, however large the noise); ``epsilon_`` is what the accountant
    reports after training. The guarantee covers the rows
    given to ``fit`` (features and labels), given the min-max range.

    Why the TabNet branch only: the full hybrid picks its CNN's features from TabNet attention
    summed over the training rows, a data-dependent step DP-SGD does not cover. Batch norm
    cannot be used with per-sample gradients, so Opacus's ``ModuleValidator.fix`` replaces it
    with GroupNorm(1, C) (``num_groups=1``: the default, one group per channel, would normalise
    each feature of a 2-D input to zero and the model would ignore its input), ghost batch
    norm gets one chunk per batch (per-sample gradients need one call per layer and forward),
    and gradients come from hooks.

    Early stopping follows the rule of every deep model here (``model.training``): the noise is
    calibrated for ``max_epochs`` (the cap), training stops after ``patience`` epochs without a
    lower loss on the validation rows and keeps the best epoch's weights, and ``epsilon_`` is
    what the steps actually taken spent (at most the target). The validation rows are not
    trained on, so the DP guarantee covers the training rows; the validation rows only choose
    the stopping epoch, a data-dependent choice the accountant does not cover (stated, not
    hidden). ``convergence_`` records how training stopped.

    ``device``: "auto" (CUDA when PyTorch sees a GPU, else the CPU), "cpu", "cuda", ...
    (``model.estimator.resolve_device``, as for the hybrid); the noise is drawn on that device by
    a generator seeded with ``random_state``, so a GPU fit is reproducible on that GPU, not
    equal to the CPU's. The fitted ``network_`` stays on ``device_``; predictions come back as
    NumPy arrays; a pickled (or deep-copied) model holds its network on the CPU
    (``model.estimator.cpu_state``).
    """

    # The small-data rule's average over seeds would compound the privacy loss of every model
    # averaged (preprocess.TrainingPipeline): DP-SGD is fitted once.
    seed_average = False

    _parameter_constraints: dict = {
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="neither")],
        "max_grad_norm": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "patience": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "n_d": [Interval(Integral, 1, None, closed="left")],
        "n_a": [Interval(Integral, 1, None, closed="left")],
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "gamma": [Interval(Real, 1, None, closed="left")],
        "lambda_sparse": [Interval(Real, 0, None, closed="left")],
        "device": [str],
        "random_state": [Interval(Integral, 0, MAX_SEED, closed="both")],
    }

    def __init__(self, epsilon: float = 1.0, delta: float = DEFAULT_DELTA,
                 max_grad_norm: float = 1.0, max_epochs: int = 20, patience: int = PATIENCE,
                 validation_fraction: float = 0.15, batch_size: int = 64,
                 lr: float = 2e-2, lr_decay: float = LR_DECAY, n_d: int = 16, n_a: int = 16, n_steps: int = 3,
                 gamma: float = 1.3, lambda_sparse: float = 1e-3, device: str = "auto",
                 random_state: int = 0):
        self.epsilon = epsilon
        self.delta = delta
        self.max_grad_norm = max_grad_norm
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.batch_size = batch_size
        self.lr = lr
        self.lr_decay = lr_decay
        self.n_d = n_d
        self.n_a = n_a
        self.n_steps = n_steps
        self.gamma = gamma
        self.lambda_sparse = lambda_sparse
        self.device = device
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, validation=None):
        """Train on (X, y) with DP-SGD; ``validation``: optional ``(X_val, y_val)`` rows that
        decide when to stop (else a share of (X, y), ``training.early_stopping_split``)."""
        from opacus import PrivacyEngine  # imported on use: Opacus loads slowly
        from opacus.validators import ModuleValidator
        self.device_ = resolve_device(self.device)
        X, y = validate_data(self, X, y, dtype=np.float32)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"DPSGDClassifier needs two classes; y holds only one class, "
                             f"{self.classes_[0]!r} ({len(y)} sample"
                             f"{'' if len(y) == 1 else 's'}).")
        X, encoded, held = held_out_rows(self, X, encoded.astype(np.int64), validation,
                                         self.classes_)
        check_delta_rule(self.delta, len(encoded))
        held = None if held is None else (torch.from_numpy(np.ascontiguousarray(held[0])),
                                          torch.from_numpy(held[1]))
        torch.manual_seed(self.random_state)
        tabnet = {"n_d": self.n_d, "n_a": self.n_a, "n_steps": self.n_steps,
                  "gamma": self.gamma, "virtual_batch_size": len(encoded)}
        network = ModuleValidator.fix(
            HybridNetwork(X.shape[1], None, len(self.classes_), "tabnet_only", tabnet),
            num_groups=1).to(self.device_)
        rows = TensorDataset(torch.from_numpy(np.ascontiguousarray(X)),
                             torch.from_numpy(encoded))
        loader = DataLoader(rows, batch_size=min(self.batch_size, len(encoded)),
                            generator=torch.Generator().manual_seed(self.random_state))
        with warnings.catch_warnings():
            # Seeded (non-cryptographic) noise on purpose: results must be reproducible. A
            # deployment would retrain with PrivacyEngine(secure_mode=True).
            warnings.filterwarnings("ignore", message="Secure RNG turned off")
            engine = PrivacyEngine(accountant="prv")
        # The PRV accountant sizes its grid with a rough RDP bound, which warns about its
        # orders; the epsilon reported is the PRV one, so the warning is noise to a reader.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Optimal order is the largest alpha")
            self._train_privately(engine, network, loader, encoded, held)
        return self

    def _train_privately(self, engine, network, loader, fit_labels: np.ndarray, held) -> None:
        """DP-SGD proper: Opacus picks the noise for the budget of ``max_epochs``, then trains
        until early stopping or the cap."""
        try:
            network, optimizer, loader = engine.make_private_with_epsilon(
                module=network, optimizer=adam(network.parameters(), self.lr),
                data_loader=loader, target_epsilon=self.epsilon, target_delta=self.delta,
                epochs=self.max_epochs, max_grad_norm=self.max_grad_norm,
                grad_sample_mode="hooks",
                noise_generator=torch.Generator(self.device_).manual_seed(self.random_state))
        except ValueError as exc:
            if "budget is too low" not in str(exc):
                raise
            raise ValueError(
                f"DP-SGD cannot reach epsilon={self.epsilon} at delta={self.delta} with "
                f"{len(fit_labels)} rows, batches of {loader.batch_size} and "
                f"{self.max_epochs} epochs "
                f"(Opacus finds no noise large enough). Use fewer epochs, smaller batches, "
                f"more rows or a larger epsilon.") from exc
        train_losses, validation_losses = [], []
        stopping = EarlyStopping(self.patience, stopping_warmup(self.lr_decay))
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer.original_optimizer,
                                                          gamma=self.lr_decay)
        with warnings.catch_warnings():
            # The input needs no gradient, so Opacus's backward hooks fire on module outputs
            # only: all that per-sample weight gradients need. torch warns about it each step.
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            for _ in range(self.max_epochs):
                network.train()
                total, seen = 0.0, 0
                for xb, yb in loader:
                    if len(yb) == 0:  # Poisson sampling can draw an empty batch
                        continue
                    xb, yb = xb.to(self.device_), yb.to(self.device_)
                    logits, sparsity = network(xb)
                    loss = torch.nn.functional.cross_entropy(logits, yb) - \
                        self.lambda_sparse * sparsity
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total, seen = total + loss.item() * len(yb), seen + len(yb)
                schedule.step()
                train_losses.append(total / max(seen, 1))
                if held is None:
                    continue
                validation_losses.append(mean_loss(network._module, *held, len(held[1]),
                                                   self.device_))
                if stopping.should_stop(validation_losses[-1], network._module):
                    break
        stopping.restore_best(network._module)
        self.convergence_ = {"dp_sgd": convergence_record(
            train_losses, validation_losses, self.max_epochs, self.patience,
            validation_labels=None if held is None else held[1].numpy(), fit_labels=fit_labels)}
        self.network_ = network._module.eval()
        self.noise_multiplier_ = float(optimizer.noise_multiplier)
        self.epsilon_ = float(engine.get_epsilon(self.delta))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        X = validate_data(self, X, dtype=np.float32, reset=False)
        with torch.no_grad():
            logits, _ = self.network_(torch.from_numpy(X).to(self.device_))
        return torch.softmax(logits, dim=1).double().cpu().numpy()

    def predict(self, X) -> np.ndarray:
        check_is_fitted(self, "network_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getstate__(self):
        return cpu_state(super().__getstate__())


def attack_scores(member_scores, outsider_scores) -> dict[str, float]:
    """AUC and advantage (max over thresholds of TPR - FPR) of a membership score that is
    higher for what the attack believes are members."""
    members, outsiders = np.asarray(member_scores), np.asarray(outsider_scores)
    if len(members) == 0 or len(outsiders) == 0:
        raise ValueError("Membership inference needs members and non-members.")
    truth = np.r_[np.ones(len(members)), np.zeros(len(outsiders))]
    scores = np.r_[members, outsiders]
    fpr, tpr, _ = roc_curve(truth, scores)
    return {"attack_auc": float(roc_auc_score(truth, scores)),
            "attack_advantage": float(np.max(tpr - fpr))}


def membership_features(positive_proba, y) -> np.ndarray:
    """What a membership attack sees of one row, from a binary model's probability of class 1:
    (log-likelihood of the true class, probability of class 1, label)."""
    positive_proba, y = np.asarray(positive_proba, dtype=float), np.asarray(y, dtype=float)
    true_class = np.where(y == 1, positive_proba, 1 - positive_proba)
    return np.column_stack([np.log(np.clip(true_class, 1e-12, 1.0)), positive_proba, y])


def _features(model, X, y) -> np.ndarray:
    """``membership_features`` of a fitted binary ``model`` (classes 0 and 1) on rows (X, y).
    A label the model never saw has no probability to score: it is refused, not read as 0."""
    classes, labels = np.asarray(model.classes_).tolist(), np.unique(np.asarray(y)).tolist()
    if sorted(classes) != [0, 1]:
        raise ValueError(f"The membership attacks score a binary model with classes 0 and 1 "
                         f"(1 = positive); this one has classes {classes}. Encode the labels "
                         f"as 0/1 before fitting it.")
    unseen = [label for label in labels if label not in classes]
    if unseen:
        raise ValueError(f"Labels {unseen} of the attacked rows are not classes of the model "
                         f"({classes}): the attack scores the model's probability of each "
                         f"row's true class. Pass the rows' 0/1 labels.")
    return membership_features(model.predict_proba(X)[:, classes.index(1)], y)


def loss_attack(member_features, outsider_features) -> dict:
    """Yeom et al. (2018): members of the training set tend to have lower loss. The score is
    the log-likelihood of the true class (column 0 of ``membership_features``); AUC 0.5 /
    advantage 0 mean no leak visible."""
    return attack_scores(np.asarray(member_features)[:, 0],
                         np.asarray(outsider_features)[:, 0])


def shadow_attack(shadows, member_features, outsider_features) -> dict:
    """Shokri et al. (2017): shadow models, trained like the target on data from the same
    distribution, teach an attack model how members' predictions differ from non-members'.

    ``shadows``: per shadow model, ``(in_features, out_features)``: the ``membership_features``
    of rows it trained on and of rows it did not. The attack is a logistic regression on those
    features, scored on the target's members against its outsiders.
    """
    from sklearn.linear_model import LogisticRegression
    features = np.vstack([block for pair in shadows for block in pair])
    membership = np.concatenate([np.r_[np.ones(len(inside)), np.zeros(len(outside))]
                                 for inside, outside in shadows])
    attack = LogisticRegression(max_iter=1000).fit(features, membership)
    return attack_scores(attack.predict_proba(member_features)[:, 1],
                         attack.predict_proba(outsider_features)[:, 1])


def loss_threshold_attack(model, X_members, y_members, X_outsiders, y_outsiders) -> dict:
    """``loss_attack`` on a fitted binary ``model``'s predictions for members and outsiders."""
    return loss_attack(_features(model, X_members, y_members),
                       _features(model, X_outsiders, y_outsiders))


def shadow_model_attack(make_model, X_shadow, y_shadow, model, X_members, y_members,
                        X_outsiders, y_outsiders, n_shadows: int = 2,
                        random_state: int = 0) -> dict:
    """``shadow_attack`` with shadows trained here: ``make_model()`` returns a fresh, unfitted
    model like the target; each shadow trains on a random half of ``(X_shadow, y_shadow)``
    (rows disjoint from the target's members and non-members), its half "in", the other "out".
    (The privacy grid needs no extra fits: ``experiments.membership_inference`` uses the
    cross-validation fits as shadows.)
    """
    rng = np.random.default_rng(random_state)
    shadows = []
    for _ in range(n_shadows):
        order = rng.permutation(len(y_shadow))
        inside, outside = order[: len(order) // 2], order[len(order) // 2:]
        shadow = make_model().fit(X_shadow[inside], y_shadow[inside])
        shadows.append(tuple(_features(shadow, X_shadow[rows], y_shadow[rows])
                             for rows in (inside, outside)))
    return shadow_attack(shadows, _features(model, X_members, y_members),
                         _features(model, X_outsiders, y_outsiders))


def feature_epsilon(pipeline) -> float | None:
    """The guarantee a fitted pipeline gives one feature value alone: the privacy step's
    ``epsilon_feature_`` (inf: some value is released without noise); for DP-SGD its record
    epsilon, which bounds it; None without privacy."""
    if getattr(pipeline[-1], "epsilon_", None) is not None:
        return float(pipeline[-1].epsilon_)
    if "privacy" in getattr(pipeline, "named_steps", {}):
        return float(pipeline.named_steps["privacy"].epsilon_feature_)
    return None


def spent_epsilon(pipeline) -> float | None:
    """What a fitted pipeline's privacy spent: DP-SGD's accountant (``epsilon_``), else the
    privacy step's record-level epsilon (inf: masking only, no noise); None without privacy."""
    spent = getattr(pipeline[-1], "epsilon_", None)
    if spent is None and "privacy" in getattr(pipeline, "named_steps", {}):
        spent = pipeline.named_steps["privacy"].epsilon_record_
    return None if spent is None else float(spent)
