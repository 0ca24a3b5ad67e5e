# model.add(...) one layer at a time, built with model.build((None, 4)), initializers and use_bias=False.
import keras
from keras import layers


def build():
    model = keras.Sequential(name="regressor")
    model.add(layers.Dense(8, activation="relu", kernel_initializer="he_normal", bias_initializer="zeros"))
    model.add(layers.Dense(8, activation=keras.activations.tanh, use_bias=False,
                           kernel_initializer=keras.initializers.GlorotUniform(seed=3)))
    model.add(layers.Dense(2, kernel_initializer=keras.initializers.RandomNormal(stddev=0.5)))
    model.build((None, 4))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss=keras.losses.MeanSquaredError())
    return model
