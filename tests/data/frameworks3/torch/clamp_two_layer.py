# "Learning PyTorch with Examples": TwoLayerNet, the ReLU as clamp(min=0).
import torch


class TwoLayerNet(torch.nn.Module):
    def __init__(self, D_in, H, D_out):
        super(TwoLayerNet, self).__init__()
        self.linear1 = torch.nn.Linear(D_in, H)
        self.linear2 = torch.nn.Linear(H, D_out)

    def forward(self, x):
        h_relu = self.linear1(x).clamp(min=0)
        y_pred = self.linear2(h_relu)
        return y_pred


def make():
    torch.manual_seed(14)
    N, D_in, H, D_out = 6, 4, 8, 2
    return TwoLayerNet(D_in, H, D_out).double(), torch.randn(N, D_in, dtype=torch.float64), \
        torch.nn.MSELoss(reduction='sum')
