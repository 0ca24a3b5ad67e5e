# A Sequential feature extractor used as a layer of a functional model.
import keras
from keras import layers


def build():
    encoder = keras.Sequential([
        layers.Dense(6, activation="relu"),
        layers.Dense(4, activation="relu"),
    ], name="encoder")
    inputs = keras.Input(shape=(4,))
    features = encoder(inputs)
    outputs = layers.Dense(3, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model
