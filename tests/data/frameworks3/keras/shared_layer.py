# The functional API with one Dense layer called twice (tied weights).
import keras
from keras import layers

inputs = keras.Input(shape=(4,), name="features")
x = layers.Dense(5, activation="tanh", name="embed")(inputs)
shared = layers.Dense(5, activation="tanh", name="shared")
x = shared(x)
x = shared(x)
outputs = layers.Dense(2, name="out")(x)


def build():
    model = keras.Model(inputs=inputs, outputs=outputs, name="tied")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mean_squared_error")
    return model
