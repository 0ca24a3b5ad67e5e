# Dense layers with activations named by string, as the Keras docs list them.
import keras
from keras import layers


def build():
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        layers.Dense(6, activation="swish"),
        layers.Dense(6, activation="elu"),
        layers.Dense(6, activation="selu"),
        layers.Dense(6, activation="softplus"),
        layers.Dense(6, activation="gelu"),
        layers.Dense(6, activation="relu6"),
        layers.Dense(6, activation="softsign"),
        layers.Dense(6, activation="mish"),
        layers.Dense(6, activation="hard_sigmoid"),
        layers.Dense(6, activation="leaky_relu"),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    return model
