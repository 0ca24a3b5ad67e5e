# Two-layer net: the backward pass as in the CS231n solution notebook,
# gradients accumulated into zero arrays.
num_train = X.shape[0]

# softmax loss
dlogits = probs.copy()
dlogits -= Y
dlogits /= num_train

# second affine layer
dW2 = np.zeros_like(W2)
dW2 += np.dot(h.T, dlogits)
db2 = np.sum(dlogits, axis=0)

# ReLU: copy, then zero where the unit was off
dh = np.dot(dlogits, W2.T)
dhpre = dh.copy()
dhpre[dh <= 0] = 0

# first affine layer
dW1 = np.zeros_like(W1)
dW1 += np.dot(X.T, dhpre)
db1 = np.sum(dhpre, axis=0)
