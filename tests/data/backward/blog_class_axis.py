import numpy as np


class NeuralNetwork:
    def __init__(self, W1, b1, W2, b2):
        self.W1 = W1
        self.b1 = b1
        self.W2 = W2
        self.b2 = b2

    def forward(self, X):
        self.z1 = np.dot(X, self.W1) + self.b1
        self.a1 = np.maximum(0, self.z1)
        self.z2 = np.dot(self.a1, self.W2) + self.b2
        exp_scores = np.exp(self.z2 - np.max(self.z2, axis=1, keepdims=True))
        self.probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
        return self.probs

    def backward(self, X, y):
        num_examples = X.shape[0]
        delta3 = self.probs - y
        delta3 /= num_examples
        self.dW2 = np.dot(self.a1.T, delta3)
        self.db2 = np.sum(delta3, axis=1)
        delta2 = np.dot(delta3, self.W2.T)
        delta2[self.z1 <= 0] = 0
        self.dW1 = np.dot(X.T, delta2)
        self.db1 = np.sum(delta2, axis=0)
        return self.dW1, self.db1, self.dW2, self.db2


net = NeuralNetwork(W1, b1, W2, b2)
net.forward(X)
dW1, db1, dW2, db2 = net.backward(X, Y)
