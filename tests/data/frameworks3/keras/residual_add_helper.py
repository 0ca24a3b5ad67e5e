# A residual MLP block with the functional helpers layers.add and an Activation layer after the sum.
import keras
from keras import layers


def residual_block(x, units):
    shortcut = x
    x = layers.Dense(units, kernel_initializer="he_normal")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Dense(units)(x)
    x = layers.add([shortcut, x])
    return layers.Activation("relu")(x)


def build():
    inputs = keras.Input(shape=(4,))
    x = layers.Dense(6)(inputs)
    x = residual_block(x, 6)
    x = residual_block(x, 6)
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    return model
