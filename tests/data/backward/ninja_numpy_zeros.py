# exercise 1 in NumPy, arrays made with np.zeros / np.ones of a shape
n = len(Xb)
dlogprobs = np.zeros((n, V))
dlogprobs[np.arange(n), Yb] = -1.0 / n
dprobs = np.zeros(probs.shape)
dprobs += dlogprobs / probs
dbndiff2 = np.ones((n, H)) / (n - 1) * dbnvar
