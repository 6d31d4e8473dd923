/**
 * Opens what the URL names for the selected neuron: the intermediate view of a conv or a
 * class neuron (once its weights are here) with, below it, the detail view opened from it;
 * the detail view straight away for a ReLU or max-pool neuron.
 */
import { useState } from "react";
import type { Layer, ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import type { DetailRef, NeuronSelection } from "../../url/state";
import type { Scope } from "../../math/scopes";
import { ConvDetail } from "../detail/ConvDetail";
import type { Pixel } from "../detail/detailData";
import { PoolDetail } from "../detail/PoolDetail";
import { ReluDetail } from "../detail/ReluDetail";
import { SoftmaxDetail } from "../detail/SoftmaxDetail";
import { ClassifierView } from "../flatten/ClassifierView";
import { denseOf } from "../flatten/classifierData";
import { classSelector, neuronSelector } from "../motion";
import { ConvView } from "./ConvView";

interface SelectedNeuronProps {
  graph: ModelGraph;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array> | null;
  selection: NeuronSelection | null;
  detail: DetailRef | null;
  scope: Scope;
  /**
   * Opens (or, with null, closes) a detail view of neuron `of`; `replace` for moves within
   * one view. Both name the neuron, so a close that ends after an animation leaves a newer
   * selection alone.
   */
  onDetail: (of: NeuronSelection, detail: DetailRef | null, replace?: boolean) => void;
  onClose: (of: NeuronSelection) => void;
  /** Which detail views may open from an intermediate view (a lesson may hide them); both by default. */
  details?: { conv: boolean; softmax: boolean };
}

export function SelectedNeuron({
  graph,
  activations,
  weights,
  selection,
  detail,
  scope,
  onDetail: onDetailOf,
  onClose: onCloseOf,
  details = { conv: true, softmax: true },
}: SelectedNeuronProps) {
  if (selection === null) return null;
  const onDetail = (next: DetailRef | null, replace?: boolean) =>
    onDetailOf(selection, next, replace);
  const onClose = () => onCloseOf(selection);
  const layer = graph.layers.find((candidate) => candidate.name === selection.layer);
  if (!layer) return null;
  // A class neuron (the softmax or the dense layer behind it): the flatten and softmax views.
  const classifier = denseOf(graph, layer) !== undefined;
  const count = classifier ? (layer.output_shape[0] ?? 0) : (layer.output_shape[2] ?? 0);
  // A stale link (no such neuron, or a layer without a view) just shows the overview.
  if (selection.index >= count) return null;
  const key = `${layer.name}:${selection.index}`;
  const pixel = detail?.kind === "pixel" ? { y: detail.y, x: detail.x } : null;
  const pick = (next: { y: number; x: number }, channel: number | null = null) =>
    onDetail({ kind: "pixel", ...next, channel }, true);
  const common = { graph, layer, index: selection.index, activations };
  if (layer.type === "relu") {
    return (
      <ReluDetail
        key={key}
        {...common}
        pixel={pixel}
        onPick={pick}
        origin={neuronSelector(layer.name, selection.index)}
        onBack={onClose}
      />
    );
  }
  if (layer.type === "max_pool") {
    return (
      <PoolDetail
        key={key}
        {...common}
        pixel={pixel}
        onPick={pick}
        origin={neuronSelector(layer.name, selection.index)}
        onBack={onClose}
      />
    );
  }
  if (layer.type !== "conv" && !classifier) return null;
  if (weights === null)
    return (
      <p className="status" data-testid="weights-loading">
        Loading the filters of {layer.name}…
      </p>
    );
  if (classifier) {
    const open = detail?.kind === "softmax";
    return (
      <>
        <ClassifierView
          key={key}
          {...common}
          weights={weights}
          scope={scope}
          origin={classSelector(selection.index)}
          context={open}
          onSoftmaxDetail={details.softmax ? () => onDetail({ kind: "softmax" }) : undefined}
          onClose={onClose}
        />
        {open && (
          <SoftmaxDetail
            key={`${key}:softmax`}
            {...common}
            origin='[data-testid="softmax-view"]'
            onBack={() => onDetail(null)}
          />
        )}
      </>
    );
  }
  return (
    <ConvWithDetail
      key={key}
      {...common}
      weights={weights}
      detail={detail?.kind === "pixel" ? detail : null}
      onDetail={
        details.conv
          ? (next, channel, replace) => onDetail({ kind: "pixel", ...next, channel }, replace)
          : undefined
      }
      onCloseDetail={() => onDetail(null)}
      onClose={onClose}
    />
  );
}

interface ConvWithDetailProps {
  graph: ModelGraph;
  layer: Layer;
  index: number;
  activations: Activations;
  weights: ReadonlyMap<string, Float32Array>;
  detail: { y: number; x: number; channel: number | null } | null;
  /** Absent when a lesson hides the convolution detail. */
  onDetail: ((pixel: Pixel, channel: number | null, replace?: boolean) => void) | undefined;
  onCloseDetail: () => void;
  onClose: () => void;
}

/** A conv neuron's intermediate view and its detail view, whose windows move together. */
function ConvWithDetail({
  graph,
  layer,
  index,
  activations,
  weights,
  detail,
  onDetail,
  onCloseDetail,
  onClose,
}: ConvWithDetailProps) {
  const [shown, setShown] = useState<Pixel | null>(null);
  const common = { graph, layer, index, activations, weights };
  const pixel = detail ? { y: detail.y, x: detail.x } : null;
  return (
    <>
      <ConvView
        {...common}
        origin={neuronSelector(layer.name, index)}
        focus={detail ? (shown ?? pixel) : null}
        onDetail={onDetail}
        onClose={onClose}
      />
      {detail && (
        <ConvDetail
          {...common}
          pixel={pixel}
          channel={detail.channel}
          onShown={setShown}
          onPick={(next, channel) => onDetail?.(next, channel, true)}
          origin='[data-testid="conv-output-map"]'
          onBack={() => {
            setShown(null);
            onCloseDetail();
          }}
        />
      )}
    </>
  );
}
