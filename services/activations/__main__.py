"""``python -m services.activations``: the activation service, started without importing
TensorFlow (services/activations/tensorflow_protos.py), so a restart answers within seconds."""

from services.activations.tensorflow_protos import skip_tensorflow_package_init

skip_tensorflow_package_init()

from services.activations.server import main  # noqa: E402 (after the line above)

main()
