# batchnorm backward through the computational graph, node by node (cs231n batchnorm_backward)
dout = (out - Y) / N
dbeta = np.sum(dout, axis=0)
dgamma = np.sum(dout * zhat, axis=0)

dzhat = dout * gamma
dzc = dzhat / std
dstd = -np.sum(dzhat * zc, axis=0) / std**2
dvar = 0.5 * dstd / std
dzc += 2.0 * zc * dvar / N
dmu = -np.sum(dzc, axis=0)
dz = dzc + dmu / N

dW = X.T @ dz
