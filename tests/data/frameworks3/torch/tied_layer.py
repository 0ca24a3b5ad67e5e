# One nn.Linear applied twice in forward (shared weights): its gradient is the sum over both uses.
import torch
import torch.nn as nn


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 5)
        self.hidden = nn.Linear(5, 5)
        self.out = nn.Linear(5, 2)

    def forward(self, x):
        h = torch.tanh(self.inp(x))
        h = torch.tanh(self.hidden(h))
        h = torch.tanh(self.hidden(h))       # the same layer again
        return self.out(h)


def make():
    torch.manual_seed(5)
    return Tied().double(), torch.randn(6, 4, dtype=torch.float64), nn.MSELoss()
