# per-example loop, as in a first (non-vectorised) attempt
dlogits = (probs - Y) / N
dW2 = np.zeros_like(W2)
db2 = np.zeros_like(b2)
for i in range(N):
    dW2 += np.outer(dlogits[i], h[i])
    db2 += dlogits[i]
dh = dlogits @ W2.T
dhpre = dh * (hpre > 0)
dW1 = np.zeros_like(W1)
for i in range(N):
    dW1 += np.outer(X[i], dhpre[i])
db1 = dhpre.sum(axis=0)
