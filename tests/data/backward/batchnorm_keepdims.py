dout = (out - Y) / N
dgamma = (dout * zhat).sum(axis=0)
dbeta = dout.sum(axis=0)
dzhat = gamma * dout
dz = (dzhat - dzhat.mean(axis=0, keepdims=True)
      - zhat * (dzhat * zhat).mean(axis=0, keepdims=True)) / std
dW = np.dot(X.T, dz)
