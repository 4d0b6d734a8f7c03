"""1-D convolutional network over the ordered selected features (the paper's Algorithm 3)."""

from __future__ import annotations

import torch
from torch import nn


class _PairMax(torch.autograd.Function):
    """Max over non-overlapping pairs along the last dimension (a trailing odd position is
    dropped), as ``nn.MaxPool1d(2)`` computes it: the second of a pair wins when it is larger
    or NaN, else the first, and the gradient goes to the winner. MaxPool keeps an int64 index
    per output for its backward pass (17 MB per layer at 256 rows x 128 channels x 128
    positions); this keeps one byte per output (which of the pair won)."""

    @staticmethod
    def forward(ctx, x):
        length = x.shape[-1] // 2 * 2
        first, second = x[..., 0:length:2], x[..., 1:length:2]
        second_wins = (second > first) | torch.isnan(second)
        ctx.save_for_backward(second_wins)
        ctx.shape = x.shape
        return torch.where(second_wins, second, first)

    @staticmethod
    def backward(ctx, grad):
        (second_wins,) = ctx.saved_tensors
        # Added into zeros, as MaxPool's backward pass does (so a -0.0 gradient lands as 0.0).
        grad_input = grad.new_zeros(ctx.shape)
        length = second_wins.shape[-1] * 2
        grad_input[..., 0:length:2] += grad.masked_fill(second_wins, 0)
        grad_input[..., 1:length:2] += grad.masked_fill(~second_wins, 0)
        return grad_input


class _ReLUInPlace(torch.autograd.Function):
    """``torch.relu_`` keeping one byte per value for the backward pass (whether the gradient
    is blocked: x <= 0, as ``threshold_backward`` decides on the output) instead of the output
    itself, which the max-pool after it then need not keep alive."""

    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        ctx.save_for_backward(torch.le(x, 0))
        return x.relu_()

    @staticmethod
    def backward(ctx, grad):
        (blocked,) = ctx.saved_tensors
        return grad.masked_fill(blocked, 0)


class PairMaxPool1d(nn.MaxPool1d):
    """``nn.MaxPool1d(2)`` (same output, same gradient) that keeps a boolean per output
    instead of an int64 index for its backward pass (``_PairMax``)."""

    def __init__(self):
        super().__init__(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _PairMax.apply(x)


class ConvBlock(nn.Module):
    """Convolution (stride 1, length-preserving padding) -> batch norm -> ReLU -> max-pool."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, pool: bool):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, stride=1,
                              padding=kernel_size // 2)
        self.bn = nn.BatchNorm1d(out_channels)
        self.pool = PairMaxPool1d() if pool else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In place: batch norm's backward pass reads its input, not its output, so the ReLU may
        # overwrite it (one batch x channels x length buffer fewer, the same numbers), and it
        # keeps a boolean per value for its own backward pass (_ReLUInPlace).
        return self.pool(_ReLUInPlace.apply(self.bn(self.conv(x))))


class ConvNet1d(nn.Module):
    """Stacked ConvBlocks (filters 64, 128, 256 by default), flattened into a dense embedding.

    Features are treated as a 1-channel sequence, so their order decides what "local" means
    (see ``genomics_hybrid.model.ordering``). A block pools only while the sequence is at least
    two long, so small feature sets (a few dozen genes) still work.
    """

    def __init__(self, n_features: int, channels: tuple[int, ...] = (64, 128, 256),
                 kernel_size: int = 3, dropout: float = 0.3, embedding_dim: int = 128):
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd number, got {kernel_size}.")
        blocks, length, in_channels = [], n_features, 1
        for out_channels in channels:
            pool = length >= 2
            blocks.append(ConvBlock(in_channels, out_channels, kernel_size, pool))
            length = length // 2 if pool else length
            in_channels = out_channels
        self.blocks = nn.ModuleList(blocks)
        self.dense = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout),
            nn.Linear(in_channels * length, embedding_dim), nn.ReLU(), nn.Dropout(dropout))
        self.output_dim = embedding_dim

    def activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every ConvBlock (batch x channels x length), for activation maps."""
        out, maps = x.unsqueeze(1), []
        for block in self.blocks:
            out = block(out)
            maps.append(out)
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dense(self.activations(x)[-1])
