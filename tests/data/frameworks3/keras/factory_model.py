# A Keras model returned by a model.py:factory on the command line.
import keras
import numpy as np
from keras import layers


def make():
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="tanh"), layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    return model, np.random.default_rng(0).normal(size=(6, 4))
