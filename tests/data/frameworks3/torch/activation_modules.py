import torch
from torch import nn


class Net(nn.Module):
    """Activation modules with their own arguments."""
    def __init__(self, in_features=4, hidden=6, out_features=2):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.act1 = nn.LeakyReLU(0.1)
        self.fc2 = nn.Linear(hidden, hidden)
        self.act2 = nn.ELU(alpha=0.5)
        self.fc3 = nn.Linear(hidden, hidden)
        self.act3 = nn.Softplus()
        self.fc4 = nn.Linear(hidden, out_features)

    def forward(self, x):
        x = self.act1(self.fc1(x))
        x = self.act2(self.fc2(x))
        x = self.act3(self.fc3(x))
        return self.fc4(x)


def make():
    torch.manual_seed(1)
    return Net().double(), 3 * torch.randn(6, 4, dtype=torch.float64), nn.MSELoss()
