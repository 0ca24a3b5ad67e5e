# TensorFlow's "Basic regression" tutorial: a Normalization layer adapted to the features, then an MLP.
import keras
import numpy as np
from keras import layers

train_features = np.random.default_rng(7).normal(size=(40, 4)) * [1.0, 10.0, 100.0, 0.1] + [0.0, 5.0, -50.0, 1.0]


def build():
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(np.array(train_features))
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        normalizer,
        layers.Dense(8, activation='relu'),
        layers.Dense(8, activation='relu'),
        layers.Dense(1),
    ])
    model.compile(loss='mean_squared_error',
                  optimizer=keras.optimizers.Adam(0.001))
    return model
