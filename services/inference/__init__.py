"""Our gRPC server for TensorFlow Serving's API over the exported SavedModels.

It serves the same ``<base>/<name>/<version>/`` folders the official TensorFlow Serving
container serves, through the same protos, so either can stand behind the activation cache.
"""
