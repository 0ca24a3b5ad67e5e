# Rescaling to [-1, 1] (scale 1/127.5, offset -1) on flat features.
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(4,))
    x = layers.Rescaling(scale=1.0 / 127.5, offset=-1)(inputs)
    x = layers.Dense(5, activation="tanh")(x)
    outputs = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model
