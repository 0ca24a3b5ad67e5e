# The first tutorial: linear regression, y = w x + b, one feature.
import torch
import torch.nn as nn


class LinearRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(1, 1)

    def forward(self, x):
        out = self.linear(x)
        return out


def make():
    torch.manual_seed(7)
    x = torch.linspace(-1, 1, 6, dtype=torch.float64).unsqueeze(1)
    return LinearRegression().double(), x, nn.MSELoss()
