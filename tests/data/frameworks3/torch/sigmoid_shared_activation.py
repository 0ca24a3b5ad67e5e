# One activation module object used after every layer, and a bias-free output.
import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 5)
        self.fc2 = nn.Linear(5, 5)
        self.fc3 = nn.Linear(5, 1, bias=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        x = self.sigmoid(self.fc1(x))
        x = self.sigmoid(self.fc2(x))
        return self.sigmoid(self.fc3(x))


def make():
    torch.manual_seed(20)
    return Net().double(), torch.randn(6, 4, dtype=torch.float64), nn.BCELoss()
