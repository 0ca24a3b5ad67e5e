y = Y.argmax(axis=1)
dlogits = probs.copy()
dlogits[range(N), y] -= 1
dlogits /= N
dW2 = h.T @ dlogits
db2 = dlogits.sum(axis=0)
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = X.T @ dhpre
db1 = dhpre.sum(axis=0)
