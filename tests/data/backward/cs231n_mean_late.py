# the batch mean applied at each parameter, not to dlogits (dlogits is N times dJ/dlogits)
dlogits = probs - Y
dW2 = h.T @ dlogits / N
db2 = dlogits.sum(axis=0) / N
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = X.T @ dhpre / N
db1 = dhpre.sum(axis=0) / N
