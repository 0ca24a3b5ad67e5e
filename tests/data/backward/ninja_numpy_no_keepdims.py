# makemore part 4 (backprop ninja), exercise 1 written in NumPy, no torch
n = Xb.shape[0]
dlogprobs = np.zeros_like(logprobs)
dlogprobs[np.arange(n), Yb] = -1.0 / n
dprobs = dlogprobs / probs
dcounts_sum_inv = np.sum(counts * dprobs, axis=1)
dcounts = dprobs * counts_sum_inv
dcounts_sum = -counts_sum ** -2 * dcounts_sum_inv
dcounts += dcounts_sum
dnorm_logits = counts * dcounts
dlogits = dnorm_logits.copy()
dlogit_maxes = -np.sum(dnorm_logits, axis=1, keepdims=True)
dlogits += (logits == logit_maxes) * dlogit_maxes

dh = dlogits @ W2.T
dW2 = h.T @ dlogits
db2 = dlogits.sum(axis=0)
dhpreact = (1 - h ** 2) * dh

dbngain = np.sum(bnraw * dhpreact, axis=0, keepdims=True)
dbnraw = bngain * dhpreact
dbnbias = np.sum(dhpreact, axis=0, keepdims=True)
dbndiff = bnvar_inv * dbnraw
dbnvar_inv = np.sum(bndiff * dbnraw, axis=0, keepdims=True)
dbnvar = -0.5 * (bnvar + 1e-5) ** -1.5 * dbnvar_inv
dbndiff2 = np.ones_like(bndiff2) * dbnvar / (n - 1)
dbndiff += 2 * bndiff * dbndiff2
dhprebn = dbndiff.copy()
dbnmeani = -np.sum(dbndiff, axis=0, keepdims=True)
dhprebn += dbnmeani / n

dembcat = dhprebn @ W1.T
dW1 = embcat.T @ dhprebn
db1 = dhprebn.sum(axis=0)
demb = dembcat.reshape(emb.shape)
dC = np.zeros_like(C)
np.add.at(dC, Xb, demb)
