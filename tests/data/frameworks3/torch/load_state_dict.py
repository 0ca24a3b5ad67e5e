# Weights loaded from a checkpoint: model.load_state_dict(torch.load(path, weights_only=True)).
import io

import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 5)
        self.fc2 = nn.Linear(5, 1)

    def forward(self, x):
        return self.fc2(torch.sigmoid(self.fc1(x)))


def checkpoint():
    g = torch.Generator().manual_seed(11)
    state = {k: torch.randn(v.shape, generator=g, dtype=torch.float64) for k, v in Net().state_dict().items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return buffer


def make():
    model = Net().double()
    model.load_state_dict(torch.load(checkpoint(), weights_only=True))
    model.eval()
    return model, torch.randn(6, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(12)), \
        nn.BCEWithLogitsLoss()
