# makemore "backprop ninja", exercises 2 and 3: cross-entropy and batchnorm backward in one line each
dlogits = (F.softmax(logits, 1) - F.one_hot(Yb, num_classes=V)) / N
dh = dlogits @ W2.T
dhpreact = (1.0 - h**2) * dh
dhprebn = bngain * bnvar_inv / N * (N * dhpreact - dhpreact.sum(0) - N / (N - 1) * bnraw * (dhpreact * bnraw).sum(0))
dW1 = embcat.T @ dhprebn
