import numpy as np

# 역전파 (backpropagation): 층 리스트를 거꾸로 돌면서 기울기를 구한다
# activations[0] = X, activations[1] = h, activations[2] = probs (softmax)


def relu_grad(z):
    return (z > 0).astype(float)


def backward(X, Y, Ws, bs, zs, activations):
    m = X.shape[0]
    grads_W = [None] * len(Ws)
    grads_b = [None] * len(bs)

    delta = activations[-1] - Y          # softmax + cross entropy
    delta /= m
    for i in reversed(range(len(Ws))):
        grads_W[i] = np.transpose(activations[i]) @ delta
        grads_b[i] = np.sum(delta, axis=0)
        if i > 0:
            delta = delta @ Ws[i].T
            delta *= relu_grad(zs[i - 1])
    return grads_W, grads_b


grads_W, grads_b = backward(X, Y, [W1, W2], [b1, b2], [hpre, logits], [X, h, probs])
dW1, dW2 = grads_W
db1, db2 = grads_b
