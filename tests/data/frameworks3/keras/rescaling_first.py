# Inputs scaled inside the model (layers.Rescaling), as the image tutorials do, then an MLP.
import keras
from keras import layers


def build():
    model = keras.Sequential([
        keras.Input(shape=(2, 2, 1)),
        layers.Rescaling(1.0 / 255),
        layers.Flatten(),
        layers.Dense(6, activation="relu"),
        layers.Dense(3),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model
