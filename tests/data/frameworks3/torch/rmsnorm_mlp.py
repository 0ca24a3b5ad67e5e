# LLaMA's RMSNorm written out (x * rsqrt(mean(x^2) + eps) * weight), a SwiGLU feed-forward.
import torch
import torch.nn.functional as F
from torch import nn


class RMSNorm(torch.nn.Module):
    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def _norm(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)

    def forward(self, x):
        output = self._norm(x.float()).type_as(x)
        return output * self.weight


class FeedForward(nn.Module):
    def __init__(self, dim=6, hidden_dim=8):
        super().__init__()
        self.norm = RMSNorm(dim)
        self.w1 = nn.Linear(dim, hidden_dim, bias=False)
        self.w2 = nn.Linear(hidden_dim, dim, bias=False)
        self.w3 = nn.Linear(dim, hidden_dim, bias=False)
        self.output = nn.Linear(dim, 3, bias=False)

    def forward(self, x):
        h = self.norm(x)
        return self.output(x + self.w2(F.silu(self.w1(h)) * self.w3(h)))


def make():
    torch.manual_seed(15)
    model = FeedForward()
    with torch.no_grad():
        model.norm.weight.uniform_(0.5, 1.5)
    return model.double(), torch.randn(6, 6, dtype=torch.float64), nn.CrossEntropyLoss()
