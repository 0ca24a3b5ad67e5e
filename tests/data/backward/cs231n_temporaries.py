# one running gradient g, renamed as it flows back
g = probs - Y
g = g / len(X)
dlogits = g
dW2 = h.T.dot(g)
db2 = g.sum(axis=0)

g = g.dot(W2.T)        # now dJ/dh
dh = g
g = (hpre > 0) * g     # through the ReLU
dhpre = g

dW1 = X.T.dot(g)
db1 = g.sum(axis=0, keepdims=True)[0]
