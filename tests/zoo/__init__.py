"""The model zoo (see README.md): `from zoo import zoo; zoo.load("resnet18")`."""
