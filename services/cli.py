"""``cnn101``: check or fetch the data, train and export a model, evaluate it, run the product.

Errors a person can fix (a missing data folder, no trained model, a damaged archive) are
printed as one line that says what to do, with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np

from services.database.backup import BackupError
from services.pipeline.bundle import ModelBundle, ModelNotFoundError, resolve_version_dir
from services.pipeline.classes import CNN101_CLASSES
from services.pipeline.data import DataDirectoryError, LabelledImages
from services.pipeline.download import DownloadError
from services.pipeline.import_formats import ImportRejected
from services.pipeline.settings import PipelineSettings
from services.runner import PrerequisiteError

EXIT_USER_ERROR = 2


def _limit_per_class(images: LabelledImages, limit: int | None) -> LabelledImages:
    """The first ``limit`` images of each class (all of them when ``limit`` is None)."""
    if not limit:
        return images
    keep = np.concatenate(
        [np.flatnonzero(images.labels == label)[:limit] for label in np.unique(images.labels)]
    )
    return LabelledImages(
        images.pixels[keep], images.labels[keep], tuple(images.paths[i] for i in keep)
    )


def cmd_data_check(args: argparse.Namespace, settings: PipelineSettings) -> int:
    from services.pipeline.data import list_annotated_files, list_train_files

    data_dir: Path = args.data_dir or settings.data_dir
    train_files = list_train_files(data_dir, CNN101_CLASSES)
    val_files = list_annotated_files(data_dir / "val", CNN101_CLASSES)
    print(
        f"{data_dir}: {len(train_files)} training and {len(val_files)} validation images "
        f"of {len(CNN101_CLASSES)} classes."
    )
    return 0


def cmd_data_download(args: argparse.Namespace, settings: PipelineSettings) -> int:
    from services.pipeline.download import fetch_dataset

    target: Path = args.dest or settings.data_dir
    fetch_dataset(
        args.url or settings.dataset_url, args.md5 or settings.dataset_md5, target, CNN101_CLASSES
    )
    print(f"Extracted {len(CNN101_CLASSES)} classes into {target}.")
    return 0


def cmd_train(args: argparse.Namespace, settings: PipelineSettings) -> int:
    from services.pipeline.architecture import Architecture  # TensorFlow: only here
    from services.pipeline.data import (
        load_annotated,
        load_train,
        selection_per_class,
        split_selection,
    )
    from services.pipeline.evaluation import evaluate, format_report, report_for
    from services.pipeline.export import export_model
    from services.pipeline.model_card import render_model_card, write_model_card
    from services.pipeline.preprocess import scale_to_unit
    from services.pipeline.progress import ProgressBar, format_duration
    from services.pipeline.training import Recipe, train, training_summary

    data_dir: Path = args.data_dir or settings.data_dir
    base_path: Path = args.base_path or settings.model_base_path
    name: str = args.name or settings.model_name
    arch = Architecture(
        input_size=args.input_size,
        blocks=args.blocks,
        convs_per_block=args.convs_per_block,
        filters=args.filters,
        kernel_size=args.kernel_size,
        num_classes=len(CNN101_CLASSES),
    )
    overrides = {
        key: value
        for key, value in {
            "epochs": args.epochs,
            "optimizer": args.optimizer,
            "learning_rate": args.learning_rate,
            "weight_decay": args.weight_decay,
            "label_smoothing": args.label_smoothing,
            "batch_size": args.batch_size,
            "light_final_fraction": args.light_final_fraction,
            "teacher_width": args.teacher_width,
        }.items()
        if value is not None
    }
    recipe = Recipe(seed=args.seed, **overrides)
    if args.threads:
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    print(f"Loading images from {data_dir} ...", flush=True)
    images = _limit_per_class(
        load_train(data_dir, CNN101_CLASSES, arch.input_size), args.limit_per_class
    )
    if args.fit_all:
        fit_images, selection = images, None
        print(
            f"Training on all {len(fit_images)} training images (the recipe was chosen on the "
            "selection split; nothing watches this run); the validation split is used once, "
            "at the end.",
            flush=True,
        )
    else:
        fit_images, selection = split_selection(images, selection_per_class(images))
        print(
            f"Training on {len(fit_images)} images; {len(selection)} other training images "
            f"watch the run; the validation split is used once, at the end.",
            flush=True,
        )
    watched = 0 if selection is None else len(selection)
    result = train(
        fit_images,
        selection,
        arch,
        CNN101_CLASSES,
        recipe,
        verbose=0,
        callbacks=[ProgressBar(recipe.epochs)],
    )
    # The validation split, scored once by the folded network before export (as the model
    # studio scores its test split), so the version's description carries the honest figure
    # the explorer shows; the card below scores the exported SavedModel itself.
    validation = load_annotated(data_dir / "val", CNN101_CLASSES, arch.input_size)
    probabilities = result.model.predict(scale_to_unit(validation.pixels), verbose=0)
    summary = {
        **training_summary(result, recipe, len(fit_images), watched),
        "accuracy": report_for(CNN101_CLASSES, validation.labels, probabilities).top1,
        "teacher_val_accuracy": result.teacher_val_accuracy,
        "teacher_seconds": round(result.teacher_seconds, 1),
    }
    version_dir = export_model(
        result.model,
        base_path,
        name,
        CNN101_CLASSES,
        arch=arch,
        summary=summary,
        version=args.version,
    )
    bundle = ModelBundle.open(version_dir)
    report = evaluate(bundle, data_dir / "val")
    command = "cnn101 train " + " ".join(shlex.quote(a) for a in args.argv)
    write_model_card(
        base_path / name / "README.md", render_model_card(bundle, report, command.strip(), summary)
    )
    print()
    watched_text = (
        ""
        if result.best_val_accuracy is None
        else f": {result.best_val_accuracy:.1%} on the {watched} selection images"
    )
    kept = f"kept the {result.selected}{watched_text}"
    print(f"Trained in {format_duration(result.seconds)}; {kept}.")
    print(f"Exported {version_dir}")
    print("On the validation images, scored once:")
    print(format_report(report))
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: PipelineSettings) -> int:
    from services.pipeline.evaluation import evaluate, format_report

    model_dir: Path = args.model_dir or settings.model_base_path / settings.model_name
    bundle = ModelBundle.open(resolve_version_dir(model_dir, args.version))
    split: Path = args.split or settings.data_dir / "val"
    print(f"{bundle.name} version {bundle.version} on {split}")
    print(format_report(evaluate(bundle, split)))
    return 0


def cmd_run(args: argparse.Namespace, settings: PipelineSettings) -> int:
    """Train the default model if there is none, then run the platform as processes."""
    from services.runner import run_platform

    model_dir = settings.model_base_path / settings.model_name
    try:
        resolve_version_dir(model_dir)
    except ModelNotFoundError:
        print(f"No model in {model_dir}: training the default Tiny VGG first.", flush=True)
        train_args = build_parser().parse_args(["train"])
        train_args.argv = []
        cmd_train(train_args, settings)
    return run_platform()


def cmd_import_model(args: argparse.Namespace, settings: PipelineSettings) -> int:
    """Import a Keras (.keras, .h5) or TensorFlow.js layers model as a served model version."""
    from services.pipeline.importing import import_model

    files: dict[str, bytes] = {}
    for path in args.files:
        if not path.is_file():
            raise ImportRejected(f"{path} is not a file.")
        files[path.name] = path.read_bytes()
    classes = [c.strip() for c in args.classes.split(",")] if args.classes else None
    version_dir = import_model(
        files,
        base_path=args.base_path or settings.model_base_path,
        name=args.name,
        class_names=classes,
        title=args.title,
    )
    print(version_dir)
    return 0


def cmd_backup(args: argparse.Namespace, settings: PipelineSettings) -> int:
    """Back up the study's database (and the studio's tables it holds) to a file."""
    from services.database.backup import backup

    backup(args.database_url or settings.evaluation_database_url, args.file)
    print(f"backed up to {args.file}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: PipelineSettings) -> int:
    """Replace the study's database with a backup (stop the services first)."""
    from services.database.backup import restore

    restore(args.database_url or settings.evaluation_database_url, args.file)
    print(f"restored from {args.file}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnn101", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    data = commands.add_parser("data", help="check or download the Tiny ImageNet data")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    check = data_commands.add_parser("check", help="check the data directory's layout")
    check.add_argument("--data-dir", type=Path)
    check.set_defaults(handler=cmd_data_check)
    fetch = data_commands.add_parser("download", help="download and extract the ten classes")
    fetch.add_argument("--dest", type=Path, help="target folder (default: CNN101_DATA_DIR)")
    fetch.add_argument("--url")
    fetch.add_argument("--md5")
    fetch.set_defaults(handler=cmd_data_download)

    train = commands.add_parser("train", help="train, export and evaluate a model")
    train.add_argument("--data-dir", type=Path)
    train.add_argument("--base-path", type=Path, help="models folder (default: models/)")
    train.add_argument("--name", help="model name (default: tiny_vgg)")
    train.add_argument("--version", type=int, help="version number (default: next free)")
    train.add_argument("--epochs", type=int, help="epochs (default: the recipe's, 60)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--limit-per-class", type=int, help="use only N images per class")
    train.add_argument("--optimizer", choices=["adamw", "sgd"])
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--label-smoothing", type=float)
    train.add_argument("--batch-size", type=int)
    train.add_argument(
        "--light-final-fraction",
        type=float,
        help="share of the last epochs trained with flips only",
    )
    train.add_argument(
        "--teacher-width",
        type=int,
        help="width of a distillation teacher (default 0: none)",
    )
    train.add_argument(
        "--fit-all",
        action="store_true",
        help="train on every training image, the selection split included (the final fit "
        "once a recipe is chosen; the last epoch is kept)",
    )
    train.add_argument("--threads", type=int, help="CPU threads for TensorFlow (default: all)")
    train.add_argument("--input-size", type=int, default=64)
    train.add_argument("--blocks", type=int, default=2)
    train.add_argument("--convs-per-block", type=int, default=2)
    train.add_argument("--filters", type=int, default=10)
    train.add_argument("--kernel-size", type=int, default=3)
    train.set_defaults(handler=cmd_train)

    evaluate = commands.add_parser("evaluate", help="accuracy and confusion matrix of a model")
    evaluate.add_argument("--model-dir", type=Path, help="default: models/tiny_vgg")
    evaluate.add_argument("--version", type=int, help="default: the newest")
    evaluate.add_argument("--split", type=Path, help="folder with val_annotations.txt + images/")
    evaluate.set_defaults(handler=cmd_evaluate)

    imported = commands.add_parser(
        "import-model",
        help="import a Keras (.keras, .h5) or TensorFlow.js layers model (model.json + shards)",
    )
    imported.add_argument("files", type=Path, nargs="+", help="the model file(s)")
    imported.add_argument("--name", required=True, help="model name (a-z, 0-9, - and _)")
    imported.add_argument("--classes", help="class names in output order, comma-separated")
    imported.add_argument("--title", help="a title for the model card")
    imported.add_argument("--base-path", type=Path, help="models folder (default: models/)")
    imported.set_defaults(handler=cmd_import_model)

    run = commands.add_parser("run", help="run the whole platform as local processes")
    run.set_defaults(handler=cmd_run)

    _add_backup_commands(commands)
    return parser


def _add_backup_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    for name, handler, verb in (
        ("backup", cmd_backup, "back up the study database to FILE"),
        ("restore", cmd_restore, "replace the study database with the backup in FILE"),
    ):
        command = commands.add_parser(name, help=verb)
        command.add_argument("file", type=Path, metavar="FILE")
        command.add_argument(
            "--database-url", help="default: CNN101_EVALUATION_DATABASE_URL (the study's)"
        )
        command.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(arguments)
    args.argv = arguments[1:]
    settings = PipelineSettings()
    try:
        return int(args.handler(args, settings))
    except (
        DataDirectoryError,
        ModelNotFoundError,
        DownloadError,
        FileExistsError,
        ImportRejected,
        PrerequisiteError,
        BackupError,
    ) as error:
        print(f"cnn101: error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR


if __name__ == "__main__":
    sys.exit(main())
