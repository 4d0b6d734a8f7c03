"""TabNet's encoder from pytorch-tabnet, without the dense d x d identity "group matrix".

pytorch-tabnet 4.1.0 maps every step's attention mask to feature level with
``torch.matmul(M, group_attention_matrix)``. With no feature groups that matrix is the d x d
identity: 2.2 GB at the 23,686 genes of GSE72056 and O(batch * d^2) work per step, for a product
that returns ``M`` unchanged. ``WideTabNetEncoder`` keeps every pytorch-tabnet submodule (ghost
batch norm, GLU feature transformers, attentive transformers, sparsemax) and the step loop as
shipped, but drops that product, so memory and time grow linearly with d.
"""

from __future__ import annotations

import torch
from pytorch_tabnet.tab_network import TabNetEncoder
from torch import nn


class WideTabNetEncoder(TabNetEncoder):
    """pytorch-tabnet's ``TabNetEncoder`` with one attention group per feature, never materialised.

    ``forward`` returns ``(steps_output, sparsity_loss)`` like the original: a list of ``n_steps``
    decision tensors (batch x n_d) and the mean mask entropy term TabNet's loss subtracts.
    """

    def __init__(self, input_dim: int, n_d: int = 16, n_a: int = 16, n_steps: int = 3,
                 gamma: float = 1.3, n_independent: int = 2, n_shared: int = 2,
                 virtual_batch_size: int = 128, momentum: float = 0.02,
                 mask_type: str = "sparsemax"):
        # The parent reads only the row count of the group matrix (the number of attention
        # groups); a (d, 0) tensor says "d groups" in zero bytes. It is never multiplied.
        super().__init__(input_dim, output_dim=n_d, n_d=n_d, n_a=n_a, n_steps=n_steps,
                         gamma=gamma, n_independent=n_independent, n_shared=n_shared,
                         virtual_batch_size=virtual_batch_size, momentum=momentum,
                         mask_type=mask_type,
                         group_attention_matrix=torch.empty(input_dim, 0))
        self.group_attention_matrix = None

    def _steps(self, x: torch.Tensor):
        """Yield (mask, decision) per step: the loop of TabNetEncoder.forward, minus the matmul."""
        x = self.initial_bn(x)
        prior = torch.ones((x.shape[0], self.attention_dim), device=x.device)
        att = self.initial_splitter(x)[:, self.n_d:]
        for step in range(self.n_steps):
            mask = self.att_transformers[step](prior, att)
            prior = torch.mul(self.gamma - mask, prior)
            out = self.feat_transformers[step](torch.mul(mask, x))
            yield mask, torch.relu(out[:, :self.n_d])
            att = out[:, self.n_d:]

    def forward(self, x: torch.Tensor, prior=None):
        if prior is not None:
            raise NotImplementedError("WideTabNetEncoder starts every sample from a flat prior.")
        steps_output, sparsity = [], 0.0
        for mask, decision in self._steps(x):
            sparsity = sparsity + torch.mean(
                torch.sum(torch.mul(mask, torch.log(mask + self.epsilon)), dim=1))
            steps_output.append(decision)
        return steps_output, sparsity / self.n_steps

    def forward_masks(self, x: torch.Tensor):
        """Per-sample feature importance (masks weighted by each step's decision strength, as
        pytorch-tabnet's ``explain``) and the raw mask of every step."""
        explain = torch.zeros_like(x)
        masks = {}
        for step, (mask, decision) in enumerate(self._steps(x)):
            masks[step] = mask
            explain += torch.mul(mask, decision.sum(dim=1, keepdim=True))
        return explain, masks


class TabNetEmbedding(nn.Module):
    """The TabNet decision embedding: the sum of the encoder's step outputs (batch x n_d)."""

    def __init__(self, input_dim: int, **tabnet_params):
        super().__init__()
        self.encoder = WideTabNetEncoder(input_dim, **tabnet_params)
        self.output_dim = self.encoder.n_d

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        steps_output, sparsity = self.encoder(x)
        return torch.stack(steps_output, dim=0).sum(dim=0), sparsity
