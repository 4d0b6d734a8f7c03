"""The hybrid model: its modules, the scikit-learn estimator, persistence and bad input."""

import copy

import numpy as np
import pytest
import torch
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline
from pytorch_tabnet.sparsemax import Sparsemax, SparsemaxFunction
from pytorch_tabnet.tab_network import TabNetEncoder
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import MinMaxScaler

from genomics_hybrid.model import (VARIANTS, AdaptiveFeatureRefiner, ConvNet1d, HybridClassifier,
                                   WideTabNetEncoder, order_features)
from genomics_hybrid.model import estimator as estimator_module
from genomics_hybrid.model.estimator import ModelFileError, stage1_store
from genomics_hybrid.model.cnn import _ReLUInPlace
from genomics_hybrid.model.tabnet import (AttentionScores, MaskedLinear, MaskEntropy, PriorUpdate,
                                          TopKSparsemax, TopKSparsemaxFunction, prior_from_masks)

FAST = dict(max_epochs=15, patience=5, n_selected=16, cnn_channels=(8, 16, 16),
            embedding_dim=16, n_d=8, n_a=8)


@pytest.fixture(scope="module")
def separable():
    """240 samples x 40 features; the class shifts features 0-4 by 2 SD, the rest is noise."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 120)
    X = rng.normal(size=(240, 40)).astype(np.float32)
    X[:, :5] += 2.0 * y[:, None]
    return X, y


def test_wide_encoder_matches_pytorch_tabnet_with_identity_groups():
    torch.manual_seed(0)
    d = 30
    stock = TabNetEncoder(d, 8, n_d=8, n_a=8, n_steps=3, group_attention_matrix=torch.eye(d))
    wide = WideTabNetEncoder(d, n_d=8, n_a=8, n_steps=3)
    wide.load_state_dict(stock.state_dict())
    stock.eval(), wide.eval()
    x = torch.randn(50, d)
    (stock_steps, stock_loss), (wide_steps, wide_loss) = stock(x), wide(x)
    for a, b in zip(stock_steps, wide_steps):
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(torch.as_tensor(stock_loss), torch.as_tensor(wide_loss))
    (stock_explain, stock_masks), (wide_explain, wide_masks) = (stock.forward_masks(x),
                                                                  wide.forward_masks(x))
    torch.testing.assert_close(stock_explain, wide_explain)
    torch.testing.assert_close(stock_masks[2], wide_masks[2])


@pytest.mark.parametrize("scale", [0.01, 1.0, 30.0])  # flat scores: the support is all of d
def test_topk_sparsemax_equals_pytorch_tabnet_sparsemax(scale):
    torch.manual_seed(0)
    z = (scale * torch.randn(40, 500, dtype=torch.float64)).requires_grad_()
    z_ref = z.detach().clone().requires_grad_()
    weights = torch.randn(40, 500, dtype=torch.float64)
    out, ref = TopKSparsemax()(z), Sparsemax(dim=-1)(z_ref.clone())
    torch.testing.assert_close(out, ref)
    (out * weights).sum().backward()
    (ref * weights).sum().backward()
    torch.testing.assert_close(z.grad, z_ref.grad)
    assert torch.allclose(out.sum(dim=1), torch.ones(40, dtype=torch.float64))


def _values_and_gradients(function, inputs):
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out = function(*leaves)
    (out * torch.linspace(-1, 2, out.numel()).reshape(out.shape)).sum().backward()
    return [out.detach(), *(leaf.grad for leaf in leaves)]


@pytest.mark.parametrize("name", ["entropy", "prior", "masked_linear", "sparsemax", "relu"])
def test_fused_step_functions_equal_the_unfused_expressions_bit_for_bit(name):
    """The encoder's memory-saving functions keep fewer tensors for the backward pass but
    compute the very same numbers as autograd on the expressions they replace."""
    torch.manual_seed(0)
    mask = TopKSparsemax()(torch.randn(32, 300)).detach()
    earlier = TopKSparsemax()(torch.randn(32, 300)).detach()
    prior, x, weight = 1.3 - earlier, torch.randn(32, 300), torch.randn(12, 300)
    fused, unfused, inputs = {
        "entropy": (lambda m: MaskEntropy.apply(m, 1e-15),
                    lambda m: torch.sum(torch.mul(m, torch.log(m + 1e-15)), dim=1), [mask]),
        # the prior after one step, recomputed from that step's mask in the backward pass
        "prior": (lambda m, p: PriorUpdate.apply(m, p, 1.3, earlier),
                  lambda m, p: torch.mul(1.3 - m, p), [mask, prior]),
        "masked_linear": (MaskedLinear.apply,
                          lambda m, v, w: torch.nn.functional.linear(torch.mul(m, v), w),
                          [mask, x, weight]),
        # pytorch-tabnet's backward pass on TopKSparsemax's forward pass
        "sparsemax": (TopKSparsemax(), _StockBackwardSparsemax.apply, [3 * x]),
        "relu": (lambda v: _ReLUInPlace.apply(v * 1), lambda v: torch.relu_(v * 1),
                 [torch.cat([x, torch.zeros(1, 300)])]),
    }[name]
    for a, b in zip(_values_and_gradients(fused, inputs), _values_and_gradients(unfused, inputs)):
        assert torch.equal(a, b)


def test_attention_scores_equal_the_attentive_transformers_modules_bit_for_bit():
    """AttentionScores (fc, ghost batch norm over two virtual batches, times the prior) gives
    the values, gradients and running statistics of pytorch-tabnet's modules."""
    torch.manual_seed(0)
    encoder = WideTabNetEncoder(50, n_d=8, n_a=8, virtual_batch_size=16)
    fused, modules = encoder.att_transformers[1], copy.deepcopy(encoder.att_transformers[1])
    masks = [TopKSparsemax()(torch.randn(30, 50)) for _ in range(2)]
    att, prior = torch.randn(30, 8), prior_from_masks(masks, 1.3)
    outputs = []
    for attention, function in ((fused, lambda a, p: AttentionScores.apply(
            a, attention.fc.weight, attention.bn.bn.weight, attention.bn.bn.bias, p, attention,
            1.3, *masks)),
            (modules, lambda a, p: torch.mul(attention.bn(attention.fc(a)), p))):
        attention.train()
        attention.bn.bn.momentum = None
        a, p = att.clone().requires_grad_(), prior.clone().requires_grad_()
        out = function(a, p)
        (out * torch.linspace(-1, 2, out.numel()).reshape(out.shape)).sum().backward()
        outputs.append([out.detach(), a.grad, p.grad, attention.fc.weight.grad,
                        attention.bn.bn.weight.grad, attention.bn.bn.bias.grad,
                        attention.bn.bn.running_mean, attention.bn.bn.running_var])
    for a, b in zip(*outputs):
        assert torch.equal(a, b)


class _StockBackwardSparsemax(torch.autograd.Function):
    forward = staticmethod(lambda ctx, z: TopKSparsemaxFunction.forward(ctx, z))
    backward = staticmethod(lambda ctx, grad: SparsemaxFunction.backward(ctx, grad)[:1])


def test_wide_encoder_holds_nothing_quadratic_in_d():
    d = 40_000  # a d x d float32 identity would be 6.4 GB
    wide = WideTabNetEncoder(d, n_d=8, n_a=8, n_steps=3)
    assert wide.group_attention_matrix is None
    largest = max(t.numel() for t in [*wide.parameters(), *wide.buffers()])
    assert largest < 100 * d


def test_refiner_starts_as_identity_and_weights_sum_to_one():
    afr = AdaptiveFeatureRefiner(7)
    x = torch.randn(4, 7)
    torch.testing.assert_close(afr(x), x)
    with torch.no_grad():
        afr.logits.copy_(torch.arange(7.0))
    assert afr.weights().sum().item() == pytest.approx(1.0)
    assert torch.all(afr.weights().diff() > 0)


@pytest.mark.parametrize("n_features", [1, 2, 5, 64])
def test_cnn_handles_few_features(n_features):
    cnn = ConvNet1d(n_features, channels=(4, 8, 8), embedding_dim=6).eval()
    assert cnn(torch.randn(3, n_features)).shape == (3, 6)
    assert [m.shape[1] for m in cnn.activations(torch.randn(3, n_features))] == [4, 8, 8]


def test_cluster_order_puts_co_expressed_genes_side_by_side():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 200, 1))
    module_a = a + 0.1 * rng.normal(size=(200, 4))
    module_b = b + 0.1 * rng.normal(size=(200, 4))
    X = np.empty((200, 8))
    X[:, 0::2], X[:, 1::2] = module_a, module_b  # interleaved: a b a b ...
    order = order_features(X, np.arange(8), "cluster")
    assert {tuple(sorted(order[:4])), tuple(sorted(order[4:]))} == {(0, 2, 4, 6), (1, 3, 5, 7)}
    assert list(order_features(X, np.array([5, 1, 3]), "original")) == [1, 3, 5]
    with pytest.raises(ValueError, match="feature_order"):
        order_features(X, np.arange(8), "random")


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_variant_learns(separable, variant):
    X, y = separable
    clf = HybridClassifier(variant=variant, **FAST).fit(X[::2], y[::2])
    proba = clf.predict_proba(X[1::2])
    assert proba.shape == (120, 2) and np.allclose(proba.sum(axis=1), 1)
    assert clf.score(X[1::2], y[1::2]) > 0.7  # chance is 0.5; thread counts move the last digits
    assert set(clf.convergence_) == {"cnn_only": {"joint"}, "tabnet_only": {"tabnet"}}.get(
        variant, {"tabnet", "joint"})
    if variant != "tabnet_only":
        assert len(clf.selected_features_) == 16
        assert len(set(clf.selected_features_)) == 16
    if variant != "cnn_only":
        assert clf.feature_importances_.sum() == pytest.approx(1.0)
    if variant == "full":
        assert clf.refiner_weights_.sum() == pytest.approx(1.0)
    else:
        with pytest.raises(AttributeError, match="no Adaptive Feature Refiner"):
            clf.refiner_weights_


def test_same_seed_same_model(separable):
    X, y = separable
    first = HybridClassifier(**FAST, random_state=3).fit(X, y).predict_proba(X)
    second = HybridClassifier(**FAST, random_state=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_stored_first_stage_gives_the_same_model_without_training_it(separable, tmp_path,
                                                                      monkeypatch):
    """The ablation's TabNet + CNN reuses the stage 1 its TabNet-only fit stored: the same
    predictions as a fit that trains its own, and stage 1 is trained once, not twice."""
    X, y = separable
    alone = HybridClassifier(**FAST, variant="tabnet_cnn", random_state=3).fit(X, y)
    calls = []
    original = estimator_module.train
    monkeypatch.setattr(estimator_module, "train",
                        lambda *a, **k: calls.append(a[7]) or original(*a, **k))
    with stage1_store(tmp_path):
        HybridClassifier(**FAST, variant="tabnet_only", random_state=3).fit(X, y)
        reused = HybridClassifier(**FAST, variant="tabnet_cnn", random_state=3).fit(X, y)
        other_seed = HybridClassifier(**FAST, variant="tabnet_cnn", random_state=4).fit(X, y)
    assert calls == ["TabNet", "tabnet_cnn", "TabNet", "tabnet_cnn"]
    np.testing.assert_array_equal(reused.predict_proba(X), alone.predict_proba(X))
    untimed = [{stage: {k: v for k, v in record.items() if k != "epoch_seconds"}
                for stage, record in model.convergence_.items()} for model in (reused, alone)]
    assert untimed[0] == untimed[1]
    np.testing.assert_array_equal(reused.selected_features_, alone.selected_features_)
    assert not np.array_equal(other_seed.predict_proba(X), alone.predict_proba(X))
    assert len(list(tmp_path.glob("stage1-*.pt"))) == 2


def test_damaged_stored_first_stage_is_trained_again(separable, tmp_path):
    X, y = separable
    with stage1_store(tmp_path):
        first = HybridClassifier(**FAST, variant="tabnet_only", random_state=3).fit(X, y)
        for path in tmp_path.glob("stage1-*.pt"):
            path.write_bytes(b"damaged")
        again = HybridClassifier(**FAST, variant="tabnet_only", random_state=3).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X), again.predict_proba(X))


def test_drops_into_cross_val_score_and_an_imblearn_pipeline(separable):
    X, y = separable
    scores = cross_val_score(HybridClassifier(**FAST), X, y, cv=3, scoring="roc_auc")
    assert scores.shape == (3,) and scores.min() > 0.7
    keep = np.r_[0:120, 120:160]  # imbalanced: 120 vs 40
    pipe = Pipeline([("scale", MinMaxScaler()), ("balance", RandomOverSampler(random_state=0)),
                     ("model", HybridClassifier(**FAST))])
    pipe.fit(X[keep], y[keep])
    assert pipe.predict(X[200:]).shape == (40,)
    assert clone(pipe).get_params()["model__n_selected"] == 16


def test_string_labels_come_back_as_given(separable):
    X, y = separable
    labels = np.where(y == 1, "tumour", "normal")
    clf = HybridClassifier(variant="cnn_only", **FAST).fit(X, labels)
    assert list(clf.classes_) == ["normal", "tumour"]
    assert set(clf.predict(X)) <= {"normal", "tumour"}


def test_fewer_samples_than_the_batch_trains():
    rng = np.random.default_rng(2)
    y = np.repeat([0, 1], 6)
    X = (rng.normal(size=(12, 10)) + 3 * y[:, None]).astype(np.float32)
    clf = HybridClassifier(**dict(FAST, batch_size=256, max_epochs=60,
                                  validation_fraction=0)).fit(X, y)
    joint = clf.convergence_["joint"]
    losses = joint["train_loss"]
    assert len(losses) == 60 and losses[-1] < 0.5 * losses[0]
    assert joint["stopped_by"] == "fixed_epochs" and joint["validation_loss"] == []
    assert clf.score(X, y) == 1.0


def test_save_and_load_round_trip(separable, tmp_path):
    X, y = separable
    clf = HybridClassifier(**FAST).fit(X, y)
    path = clf.save(tmp_path / "model.pt")
    again = HybridClassifier.load(path, device="cpu")
    np.testing.assert_array_equal(clf.predict_proba(X), again.predict_proba(X))
    np.testing.assert_array_equal(clf.selected_features_, again.selected_features_)
    assert again.get_params() == clf.get_params() | {"device": "cpu"}


def test_load_refuses_pickled_code_and_foreign_files(tmp_path):
    class Payload:
        def __reduce__(self):
            return (print, ("this must never run",))
    rogue = tmp_path / "rogue.pt"
    torch.save({"format": "genomics-hybrid/HybridClassifier/2", "x": Payload()}, rogue)
    with pytest.raises(ModelFileError, match="never loaded") as refused:
        HybridClassifier.load(rogue)
    assert "weights_only" not in str(refused.value)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(ModelFileError, match="not a HybridClassifier file"):
        HybridClassifier.load(foreign)


def test_bad_input_gets_clear_errors(separable):
    X, y = separable
    with pytest.raises(ValueError, match="at least two classes"):
        HybridClassifier(**FAST).fit(X, np.ones(len(y)))
    bad = X.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        HybridClassifier(**FAST).fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        HybridClassifier(**FAST).fit(X, y[:-1])
    with pytest.raises(ValueError, match="'variant' parameter of HybridClassifier"):
        HybridClassifier(variant="cnn").fit(X, y)
    clf = HybridClassifier(variant="tabnet_only", **FAST).fit(X, y)
    with pytest.raises(ValueError, match="40 features"):
        clf.predict(X[:, :30])


def test_convergence_record_says_how_training_stopped():
    from genomics_hybrid.model.training import convergence_record, stopped_by
    early = convergence_record([1.0] * 8, [0.9, 0.8, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75],
                               max_epochs=100, patience=5)
    assert (early["stopped_by"], early["best_epoch"], early["best_validation_loss"]) == (
        "early_stopping", 3, 0.7)
    improving = convergence_record([1.0] * 10, list(np.linspace(1, 0.1, 10)), 10, 3)
    assert improving["stopped_by"] == "epoch_cap" and improving["best_epoch"] == 10
    blind = convergence_record([1.0] * 10, None, 10, 3)     # no validation rows
    assert blind["stopped_by"] == "fixed_epochs" and blind["best_epoch"] is None
    kept_start = convergence_record([1.0] * 5, [0.6, 0.7, 0.8, 0.9, 1.0], 100, 5,
                                    initial_validation_loss=0.5)
    assert (kept_start["stopped_by"], kept_start["best_epoch"]) == ("early_stopping", 0)
    creeping = convergence_record([1.0] * 6, [0.5, 0.49996, 0.49993, 0.49992, 0.49991, 0.4999],
                                  100, 5)       # 1e-4 below epoch 1 in all: not an improvement
    assert (creeping["stopped_by"], creeping["best_epoch"]) == ("early_stopping", 1)
    assert stopped_by({"tabnet": early, "joint": early}) == "early_stopping"
    assert stopped_by({"tabnet": early, "joint": improving}) == "epoch_cap"


def test_early_stopping_waits_for_the_learning_rate_to_settle():
    """Not before the warm-up (the epochs over which the rate falls by e), whatever the
    patience; the best epoch is still tracked from the first, and a warm start's loss does not
    count as an epoch."""
    import math
    from genomics_hybrid.model.training import EarlyStopping, stopping_warmup
    assert stopping_warmup(0.95) == 20 and stopping_warmup(1.0) == 0
    assert 0.95 ** stopping_warmup(0.95) <= math.exp(-1) < 0.95 ** (stopping_warmup(0.95) - 1)
    network = torch.nn.Linear(2, 2)
    stopping = EarlyStopping(patience=2, min_epochs=6)
    stopping.record(0.5, network)   # a warm start's epoch 0: the best, but no epoch
    stops = [stopping.should_stop(loss, network) for loss in [0.9, 0.8, 0.7, 0.6, 0.55, 0.7]]
    assert stops == [False] * 5 + [True] and stopping.best_loss == 0.5
    plain = EarlyStopping(patience=2)
    assert [plain.should_stop(loss, network) for loss in [0.5, 0.6, 0.7]] == [False, False, True]


def test_early_stopping_keeps_the_best_weights_in_one_copy():
    """A better epoch's weights are written into the copy kept for the last one (no new copy
    per better epoch), and the copy never follows the network's later changes."""
    from genomics_hybrid.model.training import EarlyStopping
    network = torch.nn.Linear(3, 2)
    stopping = EarlyStopping(patience=5)
    stopping.should_stop(0.9, network)
    kept = stopping.best_state["weight"]
    with torch.no_grad():
        network.weight.add_(1.0)
    best = network.weight.detach().clone()
    stopping.should_stop(0.5, network)            # better: kept in place
    assert stopping.best_state["weight"] is kept and torch.equal(kept, best)
    with torch.no_grad():
        network.weight.add_(1.0)
    stopping.should_stop(0.7, network)            # worse: nothing kept
    stopping.restore_best(network)
    assert torch.equal(network.weight, best)


def test_joint_stage_starts_where_tabnet_alone_ended(separable):
    """Warm start: the joint network computes exactly what stage 1 computed, so the joint
    stage's epoch 0 is stage 1's validation loss and training must beat it."""
    from genomics_hybrid.model import HybridNetwork
    X = torch.from_numpy(separable[0])
    params = {"n_d": 8, "n_a": 8}
    torch.manual_seed(0)
    stage1 = HybridNetwork(40, None, 2, "tabnet_only", params).eval()
    joint = HybridNetwork(40, torch.arange(16), 2, "full", params,
                          {"channels": (8, 8, 8), "embedding_dim": 8}).eval()
    joint.warm_start(stage1)
    torch.testing.assert_close(joint(X)[0], stage1(X)[0])
    clf = HybridClassifier(**FAST).fit(*separable)
    assert clf.convergence_["joint"]["initial_validation_loss"] == pytest.approx(
        clf.convergence_["tabnet"]["best_validation_loss"], rel=1e-5)


def test_too_small_a_validation_split_trains_every_epoch_on_every_row(separable):
    """The small-data rule: a share of fewer than MIN_VALIDATION_ROWS rows is not carved, and
    every deep model trains max_epochs on all rows, recorded as "fixed_epochs"."""
    from genomics_hybrid.baselines import MLPClassifier, StockTabNetClassifier
    from genomics_hybrid.model.training import MIN_VALIDATION_ROWS, early_stopping_split
    X, y = separable
    n_small = 2 * int(MIN_VALIDATION_ROWS / 0.15 / 2) - 6    # a 15 % share below the rule
    rows = np.r_[0:n_small // 2, 120:120 + n_small // 2]
    fit_rows, validation_rows = early_stopping_split(y[rows], 0.15, 0)
    assert validation_rows is None and len(fit_rows) == n_small
    n_large = int(MIN_VALIDATION_ROWS / 0.15) + 4
    _, validation_rows = early_stopping_split(np.arange(n_large) % 2, 0.15, 0)
    assert len(validation_rows) >= MIN_VALIDATION_ROWS
    models = [HybridClassifier(**dict(FAST, max_epochs=6)),
              StockTabNetClassifier(max_epochs=6, batch_size="auto"),
              MLPClassifier(max_epochs=6)]
    for model in models:
        model.fit(X[rows], y[rows])
        for record in model.convergence_.values():
            assert (record["stopped_by"], record["epochs"]) == ("fixed_epochs", 6), model
            assert record["validation_loss"] == [] and record["learned"] is None


def test_every_deep_model_follows_one_early_stopping_rule(separable):
    from genomics_hybrid.baselines import MLPClassifier, StockTabNetClassifier
    from genomics_hybrid.model.training import (IMPROVEMENT, LR_DECAY, early_stopping_split,
                                                stopping_warmup)
    X, y = separable
    fit_rows, validation_rows = early_stopping_split(y, 0.15, 0)
    assert len(validation_rows) == 36 and np.bincount(y[validation_rows]).tolist() == [18, 18]
    models = [HybridClassifier(**dict(FAST, max_epochs=200, patience=3)),
              StockTabNetClassifier(max_epochs=200, patience=3, batch_size="auto"),
              MLPClassifier(max_epochs=200, patience=3)]
    for model in models:
        model.fit(X, y)
        for record in model.convergence_.values():
            assert record["stopped_by"] == "early_stopping", type(model).__name__
            # patience 3 after the best epoch, and never before the warm-up's 20 epochs
            assert record["epochs"] == max(record["best_epoch"] + 3, stopping_warmup(LR_DECAY))
            losses = record["validation_loss"]
            best = (losses[record["best_epoch"] - 1] if record["best_epoch"]
                    else record["initial_validation_loss"])  # no later epoch beat it by more
                                                             # than IMPROVEMENT
            assert all(loss >= best - IMPROVEMENT for loss in losses[record["best_epoch"]:])
    y_one = np.zeros(len(y), dtype=int)
    y_one[0] = 1
    for model in models:
        with pytest.raises(ValueError, match="class 1 has 1 row.*validation_fraction=0"):
            clone(model).fit(X, y_one)


def test_batch_norm_statistics_are_the_last_epochs_average():
    """Rows 64, batches of 16 (equal sizes), the batch norm first: its running mean after
    training is the mean of the rows (the average of four batch means), not an exponential
    average still holding its starting zeros."""
    from genomics_hybrid.model.training import TrainingSettings, train

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bn = torch.nn.BatchNorm1d(3)
            self.head = torch.nn.Linear(3, 2)

        def forward(self, x):
            return self.head(self.bn(x)), x.new_zeros(())
    X = torch.randn(64, 3) + 5.0
    y = (X[:, 0] > 5).long()
    net = Net()
    train(net, X, y, None, TrainingSettings(1e-3, 3, 1, 16, 0.0), torch.Generator().manual_seed(0),
          torch.device("cpu"), "test", False)
    assert net.bn.momentum is None and int(net.bn.num_batches_tracked) == 4
    torch.testing.assert_close(net.bn.running_mean, X.mean(dim=0))


_FIT_IN_FRESH_PROCESS = """
import sys
import numpy as np
from genomics_hybrid.model import HybridClassifier
rng = np.random.default_rng(0)
y = np.repeat([0, 1], 200)
X = rng.random((400, 2500), dtype=np.float32)
X[:, :5] += 0.5 * y[:, None]
model = HybridClassifier(max_epochs=2, patience=1, n_selected=8, cnn_channels=(4,),
                         embedding_dim=4, n_d=4, n_a=4, n_steps=1, batch_size=256,
                         random_state=0).fit(X, y)
sys.stdout.buffer.write(model.predict_proba(X).tobytes())
"""


def test_huge_page_allocation_changes_no_value():
    """The package turns on PyTorch's 2 MB-aligned, huge-page CPU allocations
    (THP_MEM_ALLOC_ENABLE, set in genomics_hybrid/__init__.py for the memory it saves on wide
    data); a fit whose batches are over 2 MB (256 x 2,500 float32) gives the same bytes with
    it off and on."""
    import os
    import subprocess
    import sys

    outputs = {}
    for setting in ("0", "1"):
        env = {**os.environ, "THP_MEM_ALLOC_ENABLE": setting, "OMP_NUM_THREADS": "1"}
        outputs[setting] = subprocess.run([sys.executable, "-c", _FIT_IN_FRESH_PROCESS], env=env,
                                          capture_output=True, check=True).stdout
    assert len(outputs["1"]) == 400 * 2 * 8  # float64 probabilities
    assert outputs["0"] == outputs["1"]


def test_package_import_turns_on_huge_page_allocation_unless_the_user_chose():
    import os
    import subprocess
    import sys

    code = "import os, genomics_hybrid; print(os.environ['THP_MEM_ALLOC_ENABLE'])"
    env = {k: v for k, v in os.environ.items() if k != "THP_MEM_ALLOC_ENABLE"}
    chosen = {**env, "THP_MEM_ALLOC_ENABLE": "0"}
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip() == "1"
    assert subprocess.run([sys.executable, "-c", code], env=chosen, capture_output=True,
                          text=True, check=True).stdout.strip() == "0"


def test_chance_loss_is_the_cross_entropy_of_the_training_shares_on_the_validation_rows():
    from genomics_hybrid.model.training import chance_loss
    assert chance_loss([0, 1] * 5) == pytest.approx(np.log(2))
    assert chance_loss(["a"] * 3 + ["b"] * 7) == pytest.approx(0.6109, abs=1e-4)
    # trained on SMOTE-balanced rows, a network without features predicts 1/2 whatever the
    # validation rows' balance
    assert chance_loss([0] * 3 + [1] * 7, [0, 1] * 50) == pytest.approx(np.log(2))
    assert chance_loss([0, 1, 2], [0, 1] * 5) == np.inf   # a class never trained on


def test_a_run_that_never_beat_the_class_prior_is_recorded_as_learning_nothing():
    """Stopping early is not learning: a run whose best validation loss stays at the loss of
    predicting its training rows' 30/70 class shares (0.611) stopped early yet learned
    nothing; one trained on balanced rows is held to ln 2, the balanced constant's loss."""
    from genomics_hybrid.model.training import convergence_record
    labels = np.array([0] * 3 + [1] * 7)
    stuck = convergence_record([0.7] * 25, [0.65] + [0.66] * 24, 100, 10,
                               validation_labels=labels, fit_labels=np.repeat(labels, 10))
    assert stuck["stopped_by"] == "early_stopping" and stuck["learned"] is False
    assert stuck["chance_validation_loss"] == pytest.approx(0.6109, abs=1e-4)
    balanced = convergence_record([0.7] * 25, [0.65] + [0.66] * 24, 100, 10,
                                  validation_labels=labels, fit_labels=[0, 1] * 50)
    assert balanced["learned"] is True and balanced["chance_validation_loss"] == \
        pytest.approx(np.log(2))
    learnt = convergence_record([0.5] * 25, [0.4] * 25, 100, 10, validation_labels=labels)
    assert learnt["learned"] is True
    assert convergence_record([0.5] * 3, [0.4] * 3, 100, 10)["learned"] is None


def test_every_deep_fit_records_whether_it_beat_the_class_prior(separable):
    from genomics_hybrid.baselines import MLPClassifier
    X, y = separable
    hybrid = HybridClassifier(**FAST, random_state=0).fit(X, y)
    for record in hybrid.convergence_.values():   # balanced validation rows: ln 2
        assert record["chance_validation_loss"] == pytest.approx(np.log(2))
    assert hybrid.convergence_["joint"]["learned"] is True
    mlp = MLPClassifier(hidden_layer_sizes=(16,), max_epochs=30, patience=5,
                        random_state=0).fit(X, y)
    assert mlp.convergence_["mlp"]["learned"] is True
