# backprop through time: the shared weights collect one term per step
dlogits = (softmax(logits, axis=1) - Y) / N
dWy = h3.T @ dlogits
dby = dlogits.sum(axis=0)
dh3 = dlogits @ Wy.T
da3 = dh3 * (1 - h3 ** 2)
dh2 = da3 @ Wh.T
da2 = dh2 * (1 - h2 ** 2)
dh1 = da2 @ Wh.T
da1 = dh1 * (1 - h1 ** 2)
dWh = h1.T @ da2 + h2.T @ da3
dWx = X1.T @ da1 + X2.T @ da2 + X3.T @ da3
dbh = da1.sum(axis=0) + da2.sum(axis=0) + da3.sum(axis=0)
