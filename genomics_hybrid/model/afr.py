"""Adaptive Feature Refiner (the paper's Algorithm 2)."""

from __future__ import annotations

import torch
from torch import nn


class AdaptiveFeatureRefiner(nn.Module):
    """One learnable weight per selected feature, softmax-normalised, multiplied into the features.

    The softmax weights sum to 1 (Algorithm 2); they are multiplied by the number of features so
    that the refiner starts as the identity (all weights 1/k, times k) and leaves the scale of
    the CNN's input unchanged. Only the relative weights are learned, as in the paper.
    """

    def __init__(self, n_features: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(n_features))

    def weights(self) -> torch.Tensor:
        """The softmax-normalised importance of each selected feature (sums to 1)."""
        return torch.softmax(self.logits, dim=0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * (self.weights() * self.logits.numel())
