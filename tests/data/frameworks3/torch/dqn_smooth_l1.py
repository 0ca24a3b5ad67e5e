# The PyTorch DQN tutorial's Q-network and its Huber loss, nn.SmoothL1Loss() (on every action's value).
import torch
import torch.nn as nn
import torch.nn.functional as F


class DQN(nn.Module):

    def __init__(self, n_observations, n_actions):
        super(DQN, self).__init__()
        self.layer1 = nn.Linear(n_observations, 16)
        self.layer2 = nn.Linear(16, 16)
        self.layer3 = nn.Linear(16, n_actions)

    # Called with either one element to determine next action, or a batch
    # during optimization. Returns tensor([[left0exp,right0exp]...]).
    def forward(self, x):
        x = F.relu(self.layer1(x))
        x = F.relu(self.layer2(x))
        return self.layer3(x)


def make():
    torch.manual_seed(21)
    policy_net = DQN(4, 2).double()
    state_batch = 2 * torch.randn(6, 4, dtype=torch.float64)
    return policy_net, state_batch, nn.SmoothL1Loss()
