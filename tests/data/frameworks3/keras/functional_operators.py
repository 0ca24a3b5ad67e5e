# The functional API written with Python operators and keras.ops / keras.activations on tensors.
import keras
from keras import layers, ops


def build():
    inputs = keras.Input(shape=(4,))
    h = layers.Dense(4)(inputs)
    gate = keras.activations.sigmoid(layers.Dense(4)(inputs))
    h = ops.tanh(h) * gate + inputs          # a gated skip
    h = h - keras.activations.gelu(layers.Dense(4)(h))
    h = ops.relu(h)
    outputs = layers.Dense(3)(h)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(optimizer="adam", loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    return model
