da = (a - Y) / N
dz = da * (z > 0)
dw = np.stack([(dz * X[:, 0:4]).sum(), (dz * X[:, 1:5]).sum(), (dz * X[:, 2:6]).sum()])
db = dz.sum()
