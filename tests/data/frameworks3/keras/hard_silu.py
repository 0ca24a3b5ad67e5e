# MobileNetV3's hard swish: activation="hard_silu" (alias "hard_swish").
import keras
from keras import layers


def build():
    model = keras.Sequential([
        keras.Input((4,)),
        layers.Dense(8, activation="hard_silu"),
        layers.Dense(8, activation="hard_swish"),
        layers.Dense(2),
    ])
    model.compile(optimizer="sgd", loss="mse")
    return model
