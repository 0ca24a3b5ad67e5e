# An MLP classifier as nn.Sequential(OrderedDict(...)), the layers named by hand.
from collections import OrderedDict

import torch
import torch.nn as nn

model = nn.Sequential(OrderedDict([
    ('fc1', nn.Linear(4, 8)),
    ('relu1', nn.ReLU()),
    ('fc2', nn.Linear(8, 8)),
    ('tanh2', nn.Tanh()),
    ('output', nn.Linear(8, 3)),
]))
criterion = nn.CrossEntropyLoss()


def make():
    torch.manual_seed(0)
    x = torch.randn(6, 4)
    return model.double(), x.double(), criterion
