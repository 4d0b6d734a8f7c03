"""TabNet's encoder from pytorch-tabnet, made fast on wide data without changing what it computes.

Two costs of pytorch-tabnet 4.1.0 grow faster than the number of features d:

1. every step maps its attention mask to feature level with ``torch.matmul(M, group_matrix)``.
   With no feature groups that matrix is the d x d identity: 2.2 GB at the 23,686 genes of
   GSE72056 and O(batch * d^2) work per step, for a product that returns ``M`` unchanged;
2. sparsemax sorts all d scores of every sample (O(d log d)), although only the few largest can
   be non-zero.

``WideTabNetEncoder`` keeps every pytorch-tabnet submodule (ghost batch norm, GLU feature
transformers, attentive transformers) and the step loop as shipped, drops the identity product
and finds sparsemax's threshold among the top-scoring features only (exact: it widens the search
whenever the support could extend past it). Tests check both against pytorch-tabnet.
"""

from __future__ import annotations

import torch
from pytorch_tabnet.sparsemax import SparsemaxFunction
from pytorch_tabnet.tab_network import TabNetEncoder
from torch import nn


def sparsemax_threshold(z: torch.Tensor, candidates: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Sparsemax's threshold tau and support size along the last dimension of z, from a top-k.

    With scores sorted descending, the support is the prefix of k where 1 + k z_(k) exceeds
    the sum of the k largest. If that prefix ends before the k-th candidate, the candidates hold
    the whole support and tau is exact; otherwise the candidates double (up to d).
    """
    d = z.shape[-1]
    m = min(candidates, d)
    while True:
        top = torch.topk(z, m, dim=-1).values
        cumsum = top.cumsum(dim=-1) - 1
        rho = torch.arange(1, m + 1, device=z.device, dtype=z.dtype)
        support = (rho * top > cumsum).sum(dim=-1, keepdim=True)
        if m == d or bool((support < m).all()):
            if bool((support == 0).any()):  # only NaN scores leave no feature in the support
                raise FloatingPointError(
                    "TabNet's attention scores became NaN: training diverged. Scale the features "
                    "(e.g. log-transform counts; make_pipeline min-max scales them) or lower the "
                    "learning rate.")
            return cumsum.gather(-1, support - 1) / support.to(z.dtype), support
        m = min(2 * m, d)


class TopKSparsemaxFunction(SparsemaxFunction):
    """pytorch-tabnet's sparsemax (same output, same backward), with ``sparsemax_threshold``."""

    @staticmethod
    def forward(ctx, input, dim=-1):
        if dim not in (-1, input.dim() - 1):
            raise ValueError("TopKSparsemax works along the last dimension.")
        ctx.dim = -1
        tau, support = sparsemax_threshold(input)
        output = torch.clamp(input - tau, min=0)
        ctx.save_for_backward(support, output)
        return output


class TopKSparsemax(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return TopKSparsemaxFunction.apply(x, -1)


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
        if mask_type == "sparsemax":
            for attention in self.att_transformers:
                attention.selector = TopKSparsemax()

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
