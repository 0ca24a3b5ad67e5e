# makemore "backprop ninja", exercise 1: every step of the forward pass, backwards
dlogprobs = -F.one_hot(Yb, num_classes=V) / N
dprobs = (1.0 / probs) * dlogprobs
dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
dcounts = counts_sum_inv * dprobs + torch.ones_like(counts) * dcounts_sum
dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
dnorm_logits = counts * dcounts
dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
dlogits = dnorm_logits.clone() + (logits == logit_maxes) * dlogit_maxes
dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(0)
dhpreact = (1.0 - h**2) * dh
dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
dbnraw = bngain * dhpreact
dbnbias = dhpreact.sum(0, keepdim=True)
dbndiff = bnvar_inv * dbnraw + (2 * bndiff) * dbndiff2
dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
dbndiff2 = (1.0 / (N - 1)) * torch.ones_like(bndiff2) * dbnvar
dbnmeani = (-dbndiff).sum(0, keepdim=True)
dhprebn = dbndiff.clone() + 1.0 / N * (torch.ones_like(hprebn) * dbnmeani)
dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
demb = dembcat.view(N, T, E)
dC = F.one_hot(Xb, num_classes=V).float().view(-1, V).T @ demb.view(-1, E)
