import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


class NeuralNetwork:
    def __init__(self, W1, b1, W2, b2, learning_rate=0.5):
        self.W1, self.b1, self.W2, self.b2 = W1, b1, W2, b2
        self.lr = learning_rate

    def feedforward(self, X):
        self.hidden = np.maximum(X @ self.W1 + self.b1, 0)
        scores = self.hidden @ self.W2 + self.b2
        scores = scores - scores.max(axis=1, keepdims=True)
        self.output = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
        return self.output

    def backward(self, X, Y):
        n = X.shape[0]
        d_scores = (self.output - Y) / n
        self.dW2 = self.hidden.T @ d_scores
        self.db2 = d_scores.sum(axis=0)
        self.W2 -= self.lr * self.dW2
        d_hidden = d_scores @ self.W2.T * (self.hidden > 0)
        self.dW1 = X.T @ d_hidden
        self.db1 = d_hidden.sum(axis=0)
        self.W1 -= self.lr * self.dW1


nn = NeuralNetwork(W1, b1, W2, b2)
nn.feedforward(X)
nn.backward(X, Y)
