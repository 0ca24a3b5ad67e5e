# Swish with a learnable beta, x * sigmoid(beta * x): a scalar nn.Parameter in forward.
import torch
import torch.nn as nn


class Swish(nn.Module):
    def __init__(self):
        super().__init__()
        self.beta = nn.Parameter(torch.tensor(1.5))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)


def make():
    torch.manual_seed(18)
    model = nn.Sequential(nn.Linear(4, 6), Swish(), nn.Linear(6, 2))
    return model.double(), torch.randn(6, 4, dtype=torch.float64), nn.MSELoss()
