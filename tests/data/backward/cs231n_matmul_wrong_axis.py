N, D = X.shape
dlogits = (probs - Y) / N
dW2, db2 = np.matmul(np.transpose(h), dlogits), dlogits.sum(axis=0)
dh = np.matmul(dlogits, np.transpose(W2))
dhpre = np.where(hpre > 0, dh, 0)
dW1 = np.matmul(np.transpose(X), dhpre)
db1 = dhpre.sum(axis=-1)
