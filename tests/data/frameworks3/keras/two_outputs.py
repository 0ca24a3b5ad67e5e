# A functional model with two heads (a class and a value).
import keras
from keras import layers


def build():
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(6, activation="relu")(inputs)
    cls = layers.Dense(3, activation="softmax", name="cls")(h)
    value = layers.Dense(1, name="value")(h)
    model = keras.Model(inputs, [cls, value])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"])
    return model
