"""The hybrid network and its ablation variants (the paper's Fig. 2 and Table 15).

    x (all d features) --> TabNet encoder --------------------------> decision embedding --+
        |                                                                                  |-> fusion -> logits
        +--> x[:, selected] --> Adaptive Feature Refiner --> 1-D CNN --> CNN embedding ----+

``selected`` holds the k features TabNet's attention picked in the first training stage, in the
order the CNN sees them. The variants drop parts:

- ``full``: everything above;
- ``tabnet_cnn``: no refiner (the selected features go to the CNN unweighted);
- ``tabnet_only``: TabNet encoder and a linear head (this is also the first training stage);
- ``cnn_only``: refiner-free CNN over k features picked without TabNet (training variance).
"""

from __future__ import annotations

import torch
from torch import nn

from .afr import AdaptiveFeatureRefiner
from .cnn import ConvNet1d
from .tabnet import TabNetEmbedding

VARIANTS = ("cnn_only", "tabnet_only", "tabnet_cnn", "full")  # Table 15's order


class HybridNetwork(nn.Module):
    """TabNet -> AFR -> 1-D CNN with a fusion head; ``forward`` returns (logits, sparsity loss)."""

    def __init__(self, input_dim: int, selected: torch.Tensor | None, n_classes: int,
                 variant: str = "full", tabnet_params: dict | None = None,
                 cnn_params: dict | None = None):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}.")
        self.variant = variant
        uses_cnn = variant != "tabnet_only"
        if uses_cnn and (selected is None or len(selected) == 0):
            raise ValueError(f"variant {variant!r} needs the selected feature indices.")
        self.tabnet = TabNetEmbedding(input_dim, **(tabnet_params or {})) \
            if variant != "cnn_only" else None
        self.register_buffer("selected", torch.as_tensor(selected, dtype=torch.long)
                             if uses_cnn else torch.empty(0, dtype=torch.long))
        self.refiner = AdaptiveFeatureRefiner(len(selected)) if variant == "full" else None
        self.cnn = ConvNet1d(len(selected), **(cnn_params or {})) if uses_cnn else None
        fused = (self.tabnet.output_dim if self.tabnet else 0) + \
            (self.cnn.output_dim if self.cnn else 0)
        self.head = nn.Linear(fused, n_classes)

    def warm_start(self, tabnet_only: "HybridNetwork") -> None:
        """Start from a trained ``tabnet_only`` network (the first training stage) so that this
        network computes exactly what it did: its TabNet weights, and a fusion head that reads
        TabNet's embedding with the stage's head weights and the CNN's with zeros. Joint training
        then moves away from TabNet alone only where the CNN lowers the loss, instead of starting
        from a random head that first has to relearn what stage 1 knew."""
        if self.tabnet is None or tabnet_only.variant != "tabnet_only":
            raise ValueError("warm_start needs a network with TabNet and a tabnet_only network.")
        self.tabnet.load_state_dict(tabnet_only.tabnet.state_dict())
        width = self.tabnet.output_dim
        with torch.no_grad():
            self.head.weight.zero_()
            self.head.weight[:, :width] = tabnet_only.head.weight
            self.head.bias.copy_(tabnet_only.head.bias)

    def refined(self, x: torch.Tensor) -> torch.Tensor:
        """The CNN's input: the selected features, re-weighted by the refiner when there is one."""
        picked = x[:, self.selected]
        return self.refiner(picked) if self.refiner is not None else picked

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embeddings, sparsity = [], x.new_zeros(())
        if self.tabnet is not None:
            decision, sparsity = self.tabnet(x)
            embeddings.append(decision)
        if self.cnn is not None:
            embeddings.append(self.cnn(self.refined(x)))
        return self.head(torch.cat(embeddings, dim=1)), sparsity
