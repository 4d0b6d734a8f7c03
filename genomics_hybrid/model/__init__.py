"""The hybrid model: TabNet attention -> Adaptive Feature Refiner -> 1-D CNN (one module per idea)."""

from .afr import AdaptiveFeatureRefiner
from .cnn import ConvNet1d
from .estimator import HybridClassifier, stage1_store
from .hybrid import VARIANTS, HybridNetwork
from .ordering import FEATURE_ORDERS, order_features
from .tabnet import TabNetEmbedding, WideTabNetEncoder

__all__ = ["AdaptiveFeatureRefiner", "ConvNet1d", "FEATURE_ORDERS", "HybridClassifier",
           "HybridNetwork", "TabNetEmbedding", "VARIANTS", "WideTabNetEncoder", "order_features",
           "stage1_store"]
