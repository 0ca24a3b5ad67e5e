# Batch normalization layer: the backward pass, with the compact dz of the batchnorm paper
dout = (out - Y) / N
dgamma = (dout * zhat).sum(axis=0)
dbeta = dout.sum(axis=0)
dz = gamma / (N * std) * (N * dout - dout.sum(axis=0) - zhat * (dout * zhat).sum(axis=0))
dW = X.T @ dz
