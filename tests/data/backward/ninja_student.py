dlogprobs = -F.one_hot(Yb, num_classes=V)
dprobs = (1.0 / probs) * dlogprobs
dh = dlogits @ W2.T
dW2 = dlogits.T @ h
db2 = dlogits
dhpreact = dh
dbndiff2 = (1.0 / N) * torch.ones_like(bndiff2) * dbnvar
dhprebn = bngain * bnvar_inv / N * (N * dhpreact - dhpreact.sum(0) - N / (N - 1) * bnraw * (dhpreact * bnraw).sum(0))
dC = F.one_hot(Xb, num_classes=V).float().view(-1, V).T @ demb.view(-1, E)
