"""``device="auto"`` for every deep model (issue 13): the hybrid, stock TabNet, the MLP and DP-SGD
pick CUDA when PyTorch sees a GPU and the CPU otherwise, refuse a device they cannot use before
training, carry the setting through get_params/set_params/clone, and touch nothing of CUDA on
the CPU path. The tests marked ``cuda`` run only where a GPU is (none in CI): there every deep
model trains on it, predicts NumPy arrays and unpickles (or loads) as a usable model.
"""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone

from genomics_hybrid.baselines import (MLPClassifier, StockTabNetClassifier, baseline_models,
                                       matching_mlp, matching_stock_tabnet)
from genomics_hybrid.model import HybridClassifier
from genomics_hybrid.model.estimator import cpu_state, resolve_device
from genomics_hybrid.privacy import DPSGDClassifier

GPU = torch.cuda.is_available()
cuda = pytest.mark.skipif(not GPU, reason="needs a CUDA GPU")
no_cuda = pytest.mark.skipif(GPU, reason="checks the refusal on a machine without a GPU")

# Each deep model, tiny, and the name of its device parameter (stock TabNet keeps
# pytorch-tabnet's name).
DEEP = {
    "hybrid": (lambda: HybridClassifier(n_selected=4, n_d=4, n_a=4, n_steps=1,
                                        cnn_channels=(4,), embedding_dim=4, max_epochs=2,
                                        patience=1), "device"),
    "stock_tabnet": (lambda: StockTabNetClassifier(n_d=4, n_a=4, n_steps=1, max_epochs=2,
                                                   patience=1, batch_size=16), "device_name"),
    "mlp": (lambda: MLPClassifier(hidden_layer_sizes=(8,), max_epochs=2, patience=1), "device"),
    "dp_sgd": (lambda: DPSGDClassifier(n_d=4, n_a=4, n_steps=1, max_epochs=2, patience=1,
                                       batch_size=16, epsilon=5.0), "device"),
}


@pytest.fixture(scope="module")
def toy():
    rng = np.random.default_rng(0)
    X = rng.random((60, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    return X, y


def test_resolve_device():
    assert resolve_device("auto") == torch.device("cuda" if GPU else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="device='gpu' is not a PyTorch device"):
        resolve_device("gpu")


@no_cuda
def test_resolve_device_refuses_cuda_without_a_gpu():
    for name in ("cuda", "cuda:0"):
        with pytest.raises(ValueError, match=f"device='{name}', but PyTorch sees no CUDA GPU"):
            resolve_device(name)


@pytest.mark.parametrize("name", DEEP)
def test_device_is_a_parameter(name):
    make, param = DEEP[name]
    model = make()
    assert model.get_params()[param] == "auto"
    assert clone(model.set_params(**{param: "cpu"})).get_params()[param] == "cpu"


@pytest.mark.parametrize("name", DEEP)
def test_auto_picks_cuda_when_present_else_the_cpu(name, toy):
    model = DEEP[name][0]().fit(*toy)
    assert model.device_ == torch.device("cuda" if GPU else "cpu")
    proba = model.predict_proba(toy[0])
    assert isinstance(proba, np.ndarray) and proba.shape == (len(toy[1]), 2)


@pytest.mark.parametrize("name", DEEP)
@pytest.mark.parametrize("device, match", [
    ("gpu", "device='gpu' is not a PyTorch device"),
    ("cuda:x", "is not a PyTorch device"),
    pytest.param("cuda", "PyTorch sees no CUDA GPU here", marks=no_cuda),
])
def test_an_unusable_device_is_refused_before_training(name, device, match, toy, monkeypatch):
    make, param = DEEP[name]
    monkeypatch.setattr("genomics_hybrid.model.estimator.train", _no_training)
    monkeypatch.setattr("genomics_hybrid.baselines.train", _no_training)
    monkeypatch.setattr("genomics_hybrid.baselines.TabNetClassifier", _no_training)
    monkeypatch.setattr(DPSGDClassifier, "_train_privately", _no_training)
    with pytest.raises(ValueError, match=match):
        make().set_params(**{param: device}).fit(*toy)


@pytest.mark.parametrize("name", DEEP)
def test_a_device_that_is_not_a_string_is_refused(name, toy):
    make, param = DEEP[name]
    with pytest.raises(ValueError, match=f"'{param}' parameter of"):
        make().set_params(**{param: 0}).fit(*toy)


def _no_training(*args, **kwargs):
    raise AssertionError("training started before the device was checked")


@pytest.mark.parametrize("name", DEEP)
def test_the_cpu_path_touches_no_cuda(name, toy, monkeypatch):
    """Every CUDA call that needs the runtime (a tensor moved there, a generator made there,
    torch.cuda's memory counters) goes through ``torch.cuda._lazy_init``: on the CPU path it
    must never run, even on a machine with a GPU."""
    def refuse():
        raise AssertionError("CUDA initialised on the CPU path")
    was_initialised = torch.cuda.is_initialized()
    if not was_initialised:
        monkeypatch.setattr(torch.cuda, "_lazy_init", refuse)
    make, param = DEEP[name]
    model = make().set_params(**{param: "cpu"}).fit(*toy)
    model.predict(toy[0])
    pickle.loads(pickle.dumps(model)).predict_proba(toy[0])
    assert model.device_ == torch.device("cpu")
    assert torch.cuda.is_initialized() == was_initialised


@pytest.mark.parametrize("name", ["mlp", "dp_sgd"])
def test_a_cpu_model_pickles_as_it_is(name, toy):
    model = DEEP[name][0]().set_params(device="cpu").fit(*toy)
    state = model.__getstate__()
    assert state["network_"] is model.network_   # nothing copied on the CPU
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.predict_proba(toy[0]), model.predict_proba(toy[0]))
    assert cpu_state({"a": 1}) == {"a": 1}        # unfitted: nothing to move


def test_the_matching_baselines_take_the_hybrids_device():
    hybrid = HybridClassifier(device="cpu")
    assert matching_mlp(hybrid).device == "cpu"
    assert matching_stock_tabnet(hybrid).device_name == "cpu"
    models = baseline_models(device="cpu")
    assert models["mlp"].device == models["tabnet"].device_name == "cpu"
    assert models["cnn_only"].device == "cpu"
    defaults = baseline_models()
    assert defaults["mlp"].device == defaults["tabnet"].device_name == "auto"


# -- on a GPU ---------------------------------------------------------------------------------

@cuda
@pytest.mark.parametrize("name", DEEP)
def test_a_model_trained_on_the_gpu_predicts_and_unpickles(name, toy):
    make, param = DEEP[name]
    model = make().set_params(**{param: "cuda"}).fit(*toy)
    assert model.device_.type == "cuda"
    proba = model.predict_proba(toy[0])
    assert isinstance(proba, np.ndarray) and np.allclose(proba.sum(axis=1), 1)
    assert set(model.predict(toy[0])) <= set(model.classes_)
    if name in ("mlp", "dp_sgd"):
        again = pickle.loads(pickle.dumps(model))
        assert again.device_ == torch.device("cpu")
        assert all(p.device.type == "cpu" for p in again.network_.parameters())
        np.testing.assert_allclose(again.predict_proba(toy[0]), proba, rtol=1e-4, atol=1e-5)
        assert model.device_.type == "cuda"           # pickling left the original where it was


@cuda
def test_a_hybrid_saved_on_the_gpu_loads_on_either_device(toy, tmp_path):
    model = DEEP["hybrid"][0]().set_params(device="cuda").fit(*toy)
    path = model.save(tmp_path / "model.pt")
    proba = model.predict_proba(toy[0])
    for device in ("cpu", "cuda"):
        again = HybridClassifier.load(path, device=device)
        assert again.device_.type == device
        np.testing.assert_allclose(again.predict_proba(toy[0]), proba, rtol=1e-4, atol=1e-5)
