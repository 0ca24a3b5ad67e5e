# layernorm backward, step by step (the cs231n assignment style), tuple unpacking for the parameters
dout = 2 * (out - Y) / np.size(out)
dgamma, dbeta = (dout * xhat).sum(0), dout.sum(0)
dxhat = dout * gamma
dvar = np.sum(dxhat * (X - mu), axis=-1, keepdims=True) * -0.5 * (var + 1e-5) ** -1.5
dmu = np.sum(-dxhat / np.sqrt(var + 1e-5), axis=-1, keepdims=True) + dvar * np.mean(-2.0 * (X - mu), axis=-1, keepdims=True)
dX = dxhat / np.sqrt(var + 1e-5) + dvar * 2.0 * (X - mu) / D + dmu / D
