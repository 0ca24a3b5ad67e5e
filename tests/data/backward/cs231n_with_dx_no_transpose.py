# a layer-by-layer backward returns dx as well: the input gradient
dlogits = (probs - Y) / N
dW2 = h.T @ dlogits
db2 = dlogits.sum(axis=0)
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = X.T @ dhpre
db1 = dhpre.sum(axis=0)
dX = dhpre @ W1
