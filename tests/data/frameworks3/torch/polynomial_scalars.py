# PyTorch's "Polynomial3" example: four scalar parameters, y = a + b x + c x^2 + d x^3, on (N, 1).
import torch


class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3


def make():
    torch.manual_seed(19)
    x = torch.linspace(-1, 1, 6, dtype=torch.float64).reshape(-1, 1)
    return Polynomial3().double(), x, torch.nn.MSELoss(reduction='sum')
