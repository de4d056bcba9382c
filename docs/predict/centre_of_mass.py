"""Where MNIST's digits have their centre of mass: every 10th image of the bundled training file
(not the test file). Run from the workspace root: python3 docs/predict/centre_of_mass.py"""
import gzip
import statistics

raw = gzip.open("crates/mnist-data/data/train-images-idx3-ubyte.gz").read()[16:]
xs, ys = [], []
for i in range(0, 60000, 10):
    image = raw[i * 784:(i + 1) * 784]
    mass = sum(image)
    xs.append(sum(v * (k % 28) for k, v in enumerate(image)) / mass)
    ys.append(sum(v * (k // 28) for k, v in enumerate(image)) / mass)
print(f"{len(xs)} images: mean ({statistics.mean(xs):.2f}, {statistics.mean(ys):.2f}), "
      f"standard deviation ({statistics.pstdev(xs):.2f}, {statistics.pstdev(ys):.2f})")
