# A binary classifier returning logits, with keras.losses.BinaryCrossentropy(from_logits=True).
import keras
from keras import layers


def build():
    model = keras.Sequential([
        layers.Input(shape=(4,)),
        layers.Dense(8, activation="relu"),
        layers.Dense(8, activation=keras.activations.gelu),
        layers.Dense(1),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.BinaryAccuracy()])
    return model
