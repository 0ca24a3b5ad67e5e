import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = nn.Linear(4, 8)
        self.l2 = nn.Linear(8, 8)
        self.l3 = nn.Linear(8, 8)
        self.l4 = nn.Linear(8, 8)
        self.head = nn.Linear(8, 2)

    def forward(self, x):
        x = F.gelu(self.l1(x))
        x = F.silu(self.l2(x))
        x = F.softplus(self.l3(x))
        x = F.elu(self.l4(x))
        return self.head(x)


def make():
    torch.manual_seed(2)
    return MLP().double(), torch.randn(6, 4).double(), nn.MSELoss()
