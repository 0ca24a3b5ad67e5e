# layernorm backward, the usual compact form over the last axis
dout = 2 * (out - Y) / out.size
dgamma = np.sum(dout * xhat, axis=0)
dbeta = np.sum(dout, axis=0)
dxhat = dout * gamma
std_inv = 1.0 / np.sqrt(var + 1e-5)
D_ = X.shape[-1]
dX = std_inv / D_ * (D_ * dxhat - dxhat.sum(axis=-1)
                     - xhat * np.sum(dxhat * xhat, axis=-1, keepdims=True))
