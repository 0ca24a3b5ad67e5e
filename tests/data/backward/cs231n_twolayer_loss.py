import numpy as np


class TwoLayerNet(object):
    """
    A two-layer fully-connected neural network. The net has an input dimension of
    N, a hidden layer dimension of H, and performs classification over C classes.
    """

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params['W1'] = std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        # Unpack variables from the params dictionary
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape

        # Compute the forward pass
        scores = None
        h1 = np.maximum(0, X.dot(W1) + b1)
        scores = h1.dot(W2) + b2

        # Compute the loss
        loss = None
        scores -= np.max(scores, axis=1, keepdims=True)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        correct_logprobs = -np.log(probs[range(N), y])
        data_loss = np.sum(correct_logprobs) / N
        reg_loss = reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        loss = data_loss + reg_loss

        # Backward pass: compute gradients
        grads = {}
        dscores = probs.copy()
        dscores[range(N), y] -= 1
        dscores /= N
        grads['W2'] = h1.T.dot(dscores)
        grads['b2'] = np.sum(dscores, axis=0)
        dh1 = dscores.dot(W2.T)
        dh1[h1 <= 0] = 0
        grads['W1'] = X.T.dot(dh1)
        grads['b1'] = np.sum(dh1, axis=0)

        # Add regularization gradient contribution
        grads['W2'] += 2 * reg * W2
        grads['W1'] += 2 * reg * W1

        return loss, grads


net = TwoLayerNet(X.shape[1], W1.shape[1], W2.shape[1])
net.params = {'W1': W1, 'b1': b1, 'W2': W2, 'b2': b2}
loss, grads = net.loss(X, y, reg=reg)
