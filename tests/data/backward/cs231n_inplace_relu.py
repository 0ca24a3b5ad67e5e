# the CS231n case study's spelling: the ReLU applied to dh in place
dlogits = probs - Y
dlogits /= N
dW2 = np.dot(h.T, dlogits)
db2 = np.sum(dlogits, axis=0)
dh = np.dot(dlogits, W2.T)
dh[h <= 0] = 0
dW1 = np.dot(X.T, dh)
db1 = np.sum(dh, axis=0)
