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

Memory: every batch x d product autograd keeps for the backward pass costs 23 MB at 256 rows
and 23,686 genes (570 MB for one batch through pytorch-tabnet's step code, 181 MB here). The
step's products are fused into functions that keep only tensors the step keeps anyway (the
mask, the prior) and recompute the rest in their backward pass, with the same operations in
the same order, so values and gradients are those of the unfused code: ``AttentionScores``
(the attentive transformer's fc, ghost batch norm and product with the prior, whose fc output
and normalised scores were kept), ``MaskEntropy`` (mask x log(mask + eps), whose ``mask +
eps`` and log were kept), ``PriorUpdate`` ((gamma - mask) x prior, whose ``gamma - mask`` was
kept; the first step's prior of ones is never built: x * 1 is x, exactly; no prior is kept,
each is recomputed from the masks) and ``MaskedLinear``
(the feature transformer's first layer on mask x input, whose product was kept). Sparsemax's
backward pass works in place. Modules with hooks (DP-SGD's per-sample gradients) or batch norm
replaced (DP-SGD's group norm) run as shipped.
"""

from __future__ import annotations

import math

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
        output = (input - tau).clamp_(min=0)
        ctx.save_for_backward(support, output)
        return output

    @staticmethod
    def backward(ctx, grad_output):
        """pytorch-tabnet's backward, value for value, with two batch x d buffers fewer: the
        gradient is zeroed off the support, the support's mean subtracted in place and the
        entries off the support zeroed again (where the original keeps its zeros)."""
        support, output = ctx.saved_tensors
        off_support = output == 0
        grad_input = grad_output.masked_fill(off_support, 0)
        v_hat = grad_input.sum(dim=-1) / support.to(output.dtype).squeeze()
        grad_input.sub_(v_hat.unsqueeze(-1))
        return grad_input.masked_fill_(off_support, 0), None


class MaskEntropy(torch.autograd.Function):
    """Per row, sum over features of mask * log(mask + eps) (TabNet's sparsity term before its
    mean), keeping only ``mask`` for the backward pass; ``mask + eps`` and its log are
    recomputed there. The gradient is autograd's for the unfused expression: g * log(mask +
    eps) from the product plus (g * mask) / (mask + eps) through the log, added in that order."""

    @staticmethod
    def forward(ctx, mask, eps):
        ctx.eps = eps
        ctx.save_for_backward(mask)
        return torch.sum((mask + eps).log_().mul_(mask), dim=1)

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        grad = grad.unsqueeze(1).expand_as(mask)
        shifted = mask + ctx.eps
        through_log = torch.mul(grad, mask).div_(shifted)
        return torch.log(shifted).mul_(grad).add_(through_log), None


def prior_from_masks(masks, gamma: float) -> torch.Tensor:
    """The prior after the steps whose masks are ``masks``, as the encoder computes it step by
    step: gamma - M0 after the first (whose prior is ones), then (gamma - M) * prior."""
    prior = gamma - masks[0]
    for mask in masks[1:]:
        prior = (gamma - mask).mul_(prior)
    return prior


class PriorUpdate(torch.autograd.Function):
    """TabNet's next prior, (gamma - mask) * prior, keeping the masks (kept by the steps
    anyway): ``prior`` is recomputed from the earlier masks (``history``, ``prior_from_masks``)
    and ``gamma - mask`` from the mask in the backward pass, so no prior is ever kept.
    Gradients as autograd's for the unfused expression: -(g * prior) for the mask, g * (gamma
    - mask) for the prior."""

    @staticmethod
    def forward(ctx, mask, prior, gamma, *history):
        ctx.gamma = gamma
        ctx.save_for_backward(mask, *history)
        return (gamma - mask).mul_(prior)

    @staticmethod
    def backward(ctx, grad):
        mask, *history = ctx.saved_tensors
        grad_mask = grad_prior = None
        if ctx.needs_input_grad[0]:
            grad_mask = torch.mul(grad, prior_from_masks(history, ctx.gamma)).neg_()
        if ctx.needs_input_grad[1]:
            grad_prior = (ctx.gamma - mask).mul_(grad)
        return (grad_mask, grad_prior, None, *(None for _ in history))


class MaskedLinear(torch.autograd.Function):
    """``F.linear(mask * x, weight)``, the first (shared) layer of a TabNet step's feature
    transformer on the masked input, keeping ``mask`` and ``x`` (kept by the step anyway)
    instead of their product, which the backward pass recomputes. Gradients as autograd's for
    the unfused ``mul`` then ``linear``: ``g @ weight`` times ``x`` (for the mask) and times
    ``mask`` (for x); ``(g.T @ (mask * x))`` for the weight, the product ``mm`` takes there."""

    @staticmethod
    def forward(ctx, mask, x, weight):
        ctx.save_for_backward(mask, x, weight)
        return nn.functional.linear(torch.mul(mask, x), weight)

    @staticmethod
    def backward(ctx, grad):
        mask, x, weight = ctx.saved_tensors
        grad_masked = grad.mm(weight)
        grad_weight = None
        if ctx.needs_input_grad[2]:
            grad_weight = grad.t().mm(torch.mul(mask, x))
        grad_mask = grad_masked * x if ctx.needs_input_grad[0] else None
        grad_x = grad_masked * mask if ctx.needs_input_grad[1] else None
        return grad_mask, grad_x, grad_weight


class AttentionScores(torch.autograd.Function):
    """An attentive transformer's scores before sparsemax, ``GBN(fc(att)) * prior`` (``prior``
    None: the first step's prior of ones, no product), keeping only the small ``att`` (batch x
    n_a) and the prior (kept by the step anyway): the batch x d ``fc(att)`` that batch norm
    keeps, and the normalised scores that the product keeps, are recomputed in the backward
    pass. The forward pass calls the ghost batch norm module itself (its running statistics
    move once, as ever); the backward pass recomputes each virtual batch's statistics and
    calls batch norm's own backward kernel, then the ``mm``s of ``linear``'s backward pass, so
    values and gradients are autograd's for the unfused modules."""

    @staticmethod
    def forward(ctx, att, weight, bn_weight, bn_bias, prior, attention, gamma, *history):
        ctx.attention, ctx.gamma, ctx.has_prior = attention, gamma, prior is not None
        ctx.save_for_backward(att, weight, bn_weight, bn_bias, *history)
        scores = attention.bn(nn.functional.linear(att, weight))
        return scores if prior is None else torch.mul(scores, prior)

    @staticmethod
    def backward(ctx, grad):
        att, weight, bn_weight, bn_bias, *history = ctx.saved_tensors
        prior = prior_from_masks(history, ctx.gamma) if ctx.has_prior else None
        ghost = ctx.attention.bn
        needs = ctx.needs_input_grad
        logits = nn.functional.linear(att, weight)
        chunks = logits.chunk(math.ceil(logits.shape[0] / ghost.virtual_batch_size), 0)
        grad_scores = grad if prior is None else torch.mul(grad, prior)
        grad_chunks = grad_scores.split([len(chunk) for chunk in chunks])
        normalised, grad_logits, grad_bn_weight, grad_bn_bias = [], [], [], []
        for chunk, grad_chunk in zip(chunks, grad_chunks):
            out, mean, invstd = torch.native_batch_norm(chunk, bn_weight, bn_bias, None, None,
                                                        True, 0.0, ghost.bn.eps)
            normalised.append(out)
            grad_in, grad_w, grad_b = torch.ops.aten.native_batch_norm_backward(
                grad_chunk, chunk, bn_weight, None, None, mean, invstd, True, ghost.bn.eps,
                [True, needs[2], needs[3]])
            grad_logits.append(grad_in)
            grad_bn_weight.append(grad_w)
            grad_bn_bias.append(grad_b)
        grad_prior = None
        if prior is not None and needs[4]:
            grad_prior = torch.mul(grad, torch.cat(normalised))
        grad_logits = torch.cat(grad_logits)
        # One virtual batch's parameter gradients after another, the last first: the order in
        # which autograd adds up the gradients of a module called on several chunks.
        return (grad_logits.mm(weight) if needs[0] else None,
                grad_logits.t().mm(att) if needs[1] else None,
                _sum_last_first(grad_bn_weight) if needs[2] else None,
                _sum_last_first(grad_bn_bias) if needs[3] else None,
                grad_prior, None, None, *(None for _ in history))


def _sum_last_first(tensors: list[torch.Tensor]) -> torch.Tensor:
    total = tensors[-1]
    for tensor in reversed(tensors[:-1]):
        total = total + tensor
    return total


def _plain(*modules: nn.Module) -> bool:
    """Whether the fused functions may stand in for these modules: no hooks on them (Opacus
    computes DP-SGD's per-sample gradients through hooks on each layer, which a function
    calling ``linear`` directly would bypass) and batch norm, not a norm swapped in for it."""
    return all(not (m._forward_hooks or m._forward_pre_hooks or m._backward_hooks
                    or m._backward_pre_hooks) for m in modules) and all(
        isinstance(m, nn.modules.batchnorm._BatchNorm) for m in modules
        if not isinstance(m, nn.Linear))


def _glu(layer: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """pytorch-tabnet's ``GLU_Layer.forward`` after its ``fc``: ghost batch norm, then GLU."""
    h = layer.bn(h)
    return torch.mul(h[:, :layer.output_dim], torch.sigmoid(h[:, layer.output_dim:]))


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
        att = self.initial_splitter(x)[:, self.n_d:]
        prior = None  # the first step's prior is all ones: multiplying by it changes nothing
        masks = []  # the steps' masks so far: the fused functions recompute the prior from them
        for step in range(self.n_steps):
            attention = self.att_transformers[step]  # AttentiveTransformer.forward, written out
            bn = attention.bn.bn
            if _plain(attention.fc, bn):
                scores = AttentionScores.apply(att, attention.fc.weight, bn.weight, bn.bias,
                                               prior, attention, self.gamma, *masks)
            else:
                scores = attention.bn(attention.fc(att))
                scores = scores if prior is None else torch.mul(scores, prior)
            mask = attention.selector(scores)
            prior = (self.gamma - mask if prior is None
                     else PriorUpdate.apply(mask, prior, self.gamma, *masks))
            if torch.is_grad_enabled():  # only a backward pass needs them
                masks.append(mask)
            out = self._features(step, mask, x)
            yield mask, torch.relu(out[:, :self.n_d])
            att = out[:, self.n_d:]

    def _features(self, step: int, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``feat_transformers[step](mask * x)``, its first layer through ``MaskedLinear``:
        pytorch-tabnet's ``FeatTransformer`` and ``GLU_Block.forward`` written out (shared block
        first, then the step's own), so the batch x d product is never kept for the backward
        pass. Without shared layers the transformer is called as shipped."""
        transformer = self.feat_transformers[step]
        if self.n_shared == 0 or not _plain(transformer.shared.glu_layers[0].fc):
            return transformer(torch.mul(mask, x))
        block = transformer.shared
        first = block.glu_layers[0]
        h = _glu(first, MaskedLinear.apply(mask, x, first.fc.weight))
        scale = torch.sqrt(torch.FloatTensor([0.5]).to(h.device))
        for layer in block.glu_layers[1:]:
            h = torch.add(h, layer(h))
            h = h * scale
        return transformer.specifics(h)

    def forward(self, x: torch.Tensor, prior=None):
        if prior is not None:
            raise NotImplementedError("WideTabNetEncoder starts every sample from a flat prior.")
        steps_output, sparsity = [], 0.0
        for mask, decision in self._steps(x):
            sparsity = sparsity + torch.mean(MaskEntropy.apply(mask, self.epsilon))
            steps_output.append(decision)
        return steps_output, sparsity / self.n_steps

    def forward_masks(self, x: torch.Tensor, keep_masks: bool = True):
        """Per-sample feature importance (masks weighted by each step's decision strength, as
        pytorch-tabnet's ``explain``) and the raw mask of every step (an empty dict with
        ``keep_masks=False``: the masks are then let go step by step)."""
        explain = torch.zeros_like(x)
        masks = {}
        for step, (mask, decision) in enumerate(self._steps(x)):
            if keep_masks:
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
