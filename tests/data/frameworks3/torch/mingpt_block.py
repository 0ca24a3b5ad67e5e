# minGPT's NewGELU and MLP with a pre-norm residual, on (N, features).
import math

import torch
import torch.nn as nn


class NewGELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Block(nn.Module):
    def __init__(self, n_embd=6):
        super().__init__()
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.c_proj = nn.Linear(4 * n_embd, n_embd)
        self.act = NewGELU()
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, 3, bias=False)

    def forward(self, x):
        x = x + self.c_proj(self.act(self.c_fc(self.ln_2(x))))
        return self.lm_head(self.ln_f(x))


def make():
    torch.manual_seed(9)
    return Block().double(), torch.randn(6, 6, dtype=torch.float64), nn.CrossEntropyLoss()
