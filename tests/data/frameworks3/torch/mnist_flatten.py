# The pytorch/examples MNIST style, on 1x4x4 "images": flatten(1), log_softmax, nll_loss.
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(16, 12)
        self.dropout = nn.Dropout(0.25)
        self.fc2 = nn.Linear(12, 4)

    def forward(self, x):
        x = x.flatten(1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


def make():
    torch.manual_seed(4)
    model = Net().double().eval()
    return model, torch.rand(6, 1, 4, 4, dtype=torch.float64), F.nll_loss
