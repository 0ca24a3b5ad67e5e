# exercises 2 and 3 in NumPy: softmax minus one-hot, and the one-line batchnorm backward
dlogits = np.exp(logits - logits.max(axis=1, keepdims=True))
dlogits /= dlogits.sum(axis=1, keepdims=True)
dlogits[np.arange(N), Yb] -= 1
dlogits /= N

dh = dlogits @ W2.T
dhpreact = dh * (1 - h**2)
dhprebn = bngain * bnvar_inv / N * (N * dhpreact - dhpreact.sum(0)
                                    - N / (N - 1) * bnraw * (dhpreact * bnraw).sum(0))
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(0)
