import copy

import numpy as np
import pytest
import torch
from sklearn.base import clone

from genomics_hybrid.baselines import StockTabNetClassifier, baseline_models, matching_stock_tabnet
from genomics_hybrid.model import HybridClassifier


@pytest.fixture
def one_torch_thread():
    """Tiny networks gain nothing from threads, and on two shared cores OpenMP threads that
    spin-wait for each other can make a 0.1 s fit take seconds."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny_task(n, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d)).astype(np.float32)
    return X, (X[:, 0] > 0.5).astype(int)


def test_baselines_are_fresh_clonable_probabilistic_models():
    models = baseline_models(random_state=3)
    assert list(models) == ["l1_logistic", "random_forest", "gradient_boosting", "mlp", "tabnet",
                            "cnn_only"]
    for name, model in models.items():
        assert hasattr(model, "predict_proba"), name
        assert clone(model).get_params() == model.get_params(), name
        assert model.get_params()["random_state"] == 3, name
    assert models["l1_logistic"].l1_ratio == 1.0
    assert baseline_models()["random_forest"] is not baseline_models()["random_forest"]


def test_stock_tabnet_gets_the_hybrids_tabnet_settings():
    hybrid = HybridClassifier(n_d=24, n_steps=4, tabnet_lr=0.01, max_epochs=7, batch_size=64)
    stock = matching_stock_tabnet(hybrid, random_state=5).get_params()
    assert (stock["n_d"], stock["n_a"], stock["n_steps"], stock["lr"], stock["max_epochs"],
            stock["batch_size"], stock["random_state"]) == (24, 16, 4, 0.01, 7, 64, 5)
    models = baseline_models(max_epochs=9)
    assert models["tabnet"].max_epochs == models["cnn_only"].max_epochs == 9
    assert models["cnn_only"].variant == "cnn_only"


def test_every_deep_model_decays_its_learning_rate_alike(one_torch_thread):
    """One rule: the learning rate is multiplied by ``lr_decay`` after every epoch, in our loop
    (the MLP: at a rate of nearly 0 from epoch 2 on, the weights, so the training loss, stop
    moving) and in pytorch-tabnet's (its optimiser's rate after the last epoch)."""
    from genomics_hybrid.baselines import MLPClassifier, matching_mlp
    X, y = tiny_task(80)
    frozen = MLPClassifier(lr_decay=1e-12, max_epochs=6, validation_fraction=0).fit(X, y)
    losses = frozen.convergence_["mlp"]["train_loss"]
    np.testing.assert_allclose(losses[1:], losses[1], rtol=1e-5)
    moving = MLPClassifier(lr_decay=1.0, max_epochs=6, validation_fraction=0).fit(X, y)
    assert not np.allclose(moving.convergence_["mlp"]["train_loss"][1:], losses[1], rtol=1e-5)
    stock = StockTabNetClassifier(lr=0.02, lr_decay=0.5, max_epochs=4, validation_fraction=0,
                                  batch_size=16).fit(X, y)
    assert stock.model_._optimizer.param_groups[0]["lr"] == pytest.approx(0.02 * 0.5 ** 4)
    hybrid = HybridClassifier(lr_decay=0.8)
    assert matching_mlp(hybrid).lr_decay == matching_stock_tabnet(hybrid).lr_decay == 0.8


def initial_weights(fitted: StockTabNetClassifier) -> dict:
    """The weights TabNet starts from: the same seeded initialisation, before any step."""
    untrained = copy.deepcopy(fitted.model_)
    untrained._set_network()
    return untrained.network.state_dict()


@pytest.mark.parametrize("n", [40, 38])   # 38 rows = batches of 37 and 1
def test_stock_tabnet_trains_on_fewer_rows_than_its_batch(one_torch_thread, n):
    X, y = tiny_task(n)
    batch = 37 if n == 38 else 1024
    model = StockTabNetClassifier(max_epochs=3, batch_size=batch, random_state=0).fit(X, y)
    # the small-data rule: too few rows to hold any back for early stopping
    assert model.batch_size_ == min(batch, n)
    assert model.convergence_["tabnet"]["stopped_by"] == "fixed_epochs"
    trained, start = model.model_.network.state_dict(), initial_weights(model)
    assert any(not torch.equal(trained[k], start[k])
               for k in trained if trained[k].is_floating_point())
    proba = model.predict_proba(X)
    assert proba.shape == (n, 2) and np.allclose(proba.sum(axis=1), 1)
    assert model.feature_importances_.shape == (6,)
    again = StockTabNetClassifier(max_epochs=3, batch_size=batch, random_state=0).fit(X, y)
    np.testing.assert_allclose(again.predict_proba(X), proba, rtol=1e-5)


def test_stock_tabnet_without_early_stopping_and_its_errors(one_torch_thread):
    X, y = tiny_task(30)
    model = StockTabNetClassifier(max_epochs=2, validation_fraction=0).fit(X, y)
    assert model.batch_size_ == 30
    X_large, _ = tiny_task(140)     # an early-stopping split of 21 rows: above the small-data rule
    y_one = np.zeros(140, dtype=int)
    y_one[0] = 1
    with pytest.raises(ValueError, match="class 1 has 1 row.*validation_fraction=0"):
        StockTabNetClassifier(max_epochs=1).fit(X_large, y_one)
