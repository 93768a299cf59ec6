"""The projection head SimCSE puts on the pooled vector: Linear(H, H) + tanh (Gao et al., 2021, Sec. 3)."""

from __future__ import annotations

from torch import Tensor, nn


class MLPHead(nn.Module):
    """(N, H) -> (N, H): dense + tanh, the same shape as BERT's pooler so it exports as a Dense module."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.activation = nn.Tanh()

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.dense(x))
