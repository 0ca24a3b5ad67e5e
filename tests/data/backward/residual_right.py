dlogits = (probs - Y) / N
dWout = r.T @ dlogits
dbout = dlogits.sum(axis=0)
dr = dlogits @ Wout.T
df = dr * (r > 0)
dW2 = u.T @ df
db2 = df.sum(axis=0)
du = df @ W2.T
dW1 = x.T @ (du * (u > 0))
db1 = (du * (u > 0)).sum(axis=0)
dx = df + (du * (u > 0)) @ W1.T
dWin = X.T @ dx
