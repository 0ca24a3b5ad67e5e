# A BERT-style feed-forward block: erf GELU written out, Dropout, LayerNorm(hidden + input).
import math

import torch
from torch import nn


def gelu(x):
    """Original Google BERT GELU."""
    return x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))


class BertLayer(nn.Module):
    def __init__(self, hidden_size=6, intermediate_size=12, layer_norm_eps=1e-12):
        super().__init__()
        self.intermediate = nn.Linear(hidden_size, intermediate_size)
        self.intermediate_act_fn = gelu
        self.dense = nn.Linear(intermediate_size, hidden_size)
        self.LayerNorm = nn.LayerNorm(hidden_size, eps=layer_norm_eps)
        self.dropout = nn.Dropout(0.1)
        self.classifier = nn.Linear(hidden_size, 3)

    def forward(self, hidden_states):
        input_tensor = hidden_states
        hidden_states = self.intermediate_act_fn(self.intermediate(hidden_states))
        hidden_states = self.dropout(self.dense(hidden_states))
        hidden_states = self.LayerNorm(hidden_states + input_tensor)
        return self.classifier(hidden_states)


def make():
    torch.manual_seed(8)
    return BertLayer().double().eval(), torch.randn(6, 6, dtype=torch.float64), nn.CrossEntropyLoss()
