import numpy as np


def relu_grad(X):
    return (X > 0).astype(float)


def mlp_backward(X, Y, params, state):
    """Gradients of the mean cross-entropy of net(X) = softmax(relu(X W1 + b1) W2 + b2), from scratch."""
    W1, b1, W2, b2 = params
    H_pre, H, Y_hat = state
    n = len(X)
    dO = (Y_hat - Y) / n
    dW2 = np.matmul(dO.T, H)
    db2 = dO.sum(axis=0)
    dH = np.matmul(dO, W2.T)
    dH_pre = dH * relu_grad(H_pre)
    dW1 = np.matmul(X.T, dH_pre)
    db1 = dH_pre.sum(axis=0)
    return [dW1, db1, dW2, db2]


params = [W1, b1, W2, b2]
dW1, db1, dW2, db2 = mlp_backward(X, Y, params, (hpre, h, probs))
