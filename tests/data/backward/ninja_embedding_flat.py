# the embedding's gradient: flattened positions into np.add.at
demb = dembcat.reshape(emb.shape)
dC = np.zeros_like(C)
np.add.at(dC, Xb.ravel(), demb.reshape(-1, E))
