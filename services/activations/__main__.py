"""``python -m services.activations``: the activation service, started without importing
TensorFlow (services/common/tensorflow_package.py), so a restart answers within seconds."""

from services.common.tensorflow_package import skip_tensorflow_package_init

skip_tensorflow_package_init()

from services.activations.server import main  # noqa: E402 (after the line above)

main()
