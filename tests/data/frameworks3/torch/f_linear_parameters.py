# A hand-made linear layer: nn.Parameter, kaiming init, F.linear(x, self.weight, self.bias).
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class MyLinear(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        bound = 1 / math.sqrt(in_features)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = MyLinear(4, 6)
        self.out = MyLinear(6, 2)

    def forward(self, x):
        return self.out(torch.tanh(self.hidden(x)))


def make():
    torch.manual_seed(16)
    return Net().double(), torch.randn(6, 4, dtype=torch.float64), nn.MSELoss()
