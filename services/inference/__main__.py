"""``python -m services.inference``: the inference server, started with only TensorFlow's
protocol modules (services/common/tensorflow_package.py). Versions with a LiteRT copy then
run without TensorFlow, so a restarted server answers within about a second; TensorFlow is
imported only if a version needs it (services/inference/runtimes.py)."""

from services.common.tensorflow_package import skip_tensorflow_package_init

skip_tensorflow_package_init()

from services.inference.server import main  # noqa: E402 (after the line above)

main()
