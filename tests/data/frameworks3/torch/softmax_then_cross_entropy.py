# A common slip, still a model: nn.Softmax at the end, then nn.CrossEntropyLoss (which takes logits).
# PyTorch computes cross_entropy(softmax(z)); derive must read exactly that.
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(4, 6),
    nn.ReLU(),
    nn.Linear(6, 3),
    nn.Softmax(dim=1),
)
loss_fn = nn.CrossEntropyLoss()


def make():
    torch.manual_seed(13)
    return model.double(), torch.randn(6, 4, dtype=torch.float64), loss_fn
