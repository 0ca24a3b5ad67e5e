# backprop through time, the loop counting down with range's step
# backprop through time with the step's values in lists
p = np.exp(logits - np.max(logits, axis=-1, keepdims=True))
p /= np.sum(p, axis=-1, keepdims=True)
dlogits = (p - Y) / N
dWy = h3.T @ dlogits
dby = np.sum(dlogits, axis=0)

dh3 = dlogits @ Wy.T
da3 = dh3 * (1 - h3 ** 2)
dh2 = da3 @ Wh.T
da2 = dh2 * (1 - h2 ** 2)
dh1 = da2 @ Wh.T
da1 = dh1 * (1 - h1 ** 2)

xs = [X1, X2, X3]
hs = [h1, h2, h3]
xs = [X1, X2, X3]
hs = [None, h1, h2, h3]
das = [da1, da2, da3]
dWx = np.zeros_like(Wx); dWh = np.zeros_like(Wh); dbh = np.zeros_like(bh)
for t in range(2, -1, -1):
    dWx += np.dot(xs[t].T, das[t])
    dbh += np.sum(das[t], axis=0)
    if t >= 1:
        dWh += np.dot(hs[t].T, das[t])
