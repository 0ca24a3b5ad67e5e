import numpy as np

def sigmoid_backward(dA, Z):
    s = 1 / (1 + np.exp(-Z))
    return dA * s * (1 - s)

def relu_backward(dA, Z):
    return dA * (Z > 0)

def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = dZ @ A_prev.T / m
    db = np.mean(dZ, axis=1, keepdims=True)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db

def L_model_backward(AL, Y, caches):
    grads = {}
    L = len(caches)
    dA = -(Y / AL - (1 - Y) / (1 - AL))
    for l in range(L, 0, -1):
        linear_cache, Z = caches[l - 1]
        if l == L:
            dZ = sigmoid_backward(dA, Z)
        else:
            dZ = relu_backward(dA, Z)
        dA, grads[f"dW{l}"], grads[f'db{l}'] = linear_backward(dZ, linear_cache)
        grads["dA" + str(l - 1)] = dA
    return grads

caches = [((X, W1, b1), Z1), ((A1, W2, b2), Z2), ((A2, W3, b3), Z3)]
grads = L_model_backward(A3, Y, caches)
