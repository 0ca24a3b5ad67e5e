# single-head attention backward
dO = O - Y
dA = dO @ V.T
dV = A.T @ dO
# softmax backward, row by row with keepdims
dS = A * (dA - np.sum(A * dA, axis=-1, keepdims=True))
scale = 1.0 / np.sqrt(H)
dQ = dS @ K * scale
dK = dS.T @ Q * scale
dWq = X.T @ dQ
dWk = X.T @ dK
dWv = np.matmul(X.T, dV)
dX = dQ @ Wq.T + dK @ Wk.T + dV @ Wv.T
