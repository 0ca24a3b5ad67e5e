# torchvision's VGG classifier head, shrunk: in-place ReLUs, Dropout, read after model.eval().
import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self, num_classes: int = 3) -> None:
        super().__init__()
        self.classifier = nn.Sequential(
            nn.Linear(4, 16),
            nn.ReLU(True),
            nn.Dropout(p=0.5),
            nn.Linear(16, 16),
            nn.ReLU(inplace=True),
            nn.Dropout(p=0.5),
            nn.Linear(16, num_classes),
        )
        self.extra = nn.Linear(num_classes, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.classifier(x)
        x = F.relu(x, inplace=True)
        x = F.dropout(x, p=0.2, training=self.training)
        return self.extra(x)


def make():
    torch.manual_seed(3)
    model = Classifier().double()
    model.eval()
    return model, torch.randn(6, 4, dtype=torch.float64), nn.CrossEntropyLoss()
