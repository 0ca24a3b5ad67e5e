# keras.Sequential with the input given as input_shape= on the first layer, and activations as layers.
import keras
from keras import layers


def build():
    model = keras.Sequential([
        layers.Dense(6, input_shape=(4,)),
        layers.Activation("sigmoid"),
        layers.Dense(6),
        layers.ReLU(),
        layers.Dense(6),
        layers.LeakyReLU(negative_slope=0.1),
        layers.Dense(1),
        layers.Activation(keras.activations.sigmoid),
    ])
    model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
    return model
