/**
 * The paper's main view: every layer a column, every neuron a heatmap of its activation
 * map, laid out from the layer graph. Hover (or focus, or tap) a neuron to light up the
 * edges it receives, the neurons they come from and its range of values.
 */
import {
  useEffect,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type RefObject,
} from "react";
import { isArrowKey, neighbour, sourcesOf, type OverviewLayout } from "../../math/layout";
import { scopeRanges, type Scope } from "../../math/scopes";
import type { ModelGraph } from "../../model/graph";
import type { Activations } from "../../state/activations";
import { Edges } from "./Edges";
import { expandAround } from "./expand";
import { fitOverview, FOOTER, NAME_BREAKS, SHAPE_BREAKS, TITLE_LINE } from "./geometry";
import { MapColumn } from "./MapColumn";
import { NeuronInfo } from "./NeuronInfo";
import { OutputColumn } from "./OutputColumn";
import { ParameterCaption } from "./ParameterCaption";
import { offerRoom, usePointedNeuron, useRoomRequest } from "./inplace";
import { neuronMaps } from "./planes";
import { ScopeLegends } from "./ScopeLegends";
import type { NeuronSelection } from "../../url/state";
import type { NeuronRef } from "./types";

/** Between the screen's edges and the overview's top or the strip's bottom (as the views scroll). */
const SCREEN_MARGIN = 8;
/** What stays under the columns of an overview opened in place: its legends move to the strip. */
const IN_PLACE_FOOTER = 6;

/** The window's inner height, following resizes. */
function useWindowHeight(): number {
  const [height, setHeight] = useState(() => window.innerHeight);
  useEffect(() => {
    const onResize = () => setHeight(window.innerHeight);
    window.addEventListener("resize", onResize);
    return () => window.removeEventListener("resize", onResize);
  }, []);
  return height;
}

/**
 * The strip's height once a view has drawn into it, measured once per opened layer (and
 * again when the window resizes): the overview fits its maps above it, and must not
 * resize them again while the student points around the view (a lens filling in).
 */
function useStripHeight(
  strip: RefObject<HTMLDivElement | null>,
  layer: string | null,
  windowHeight: number,
): number {
  const [measured, setMeasured] = useState<{ layer: string; height: number } | null>(null);
  useLayoutEffect(() => {
    const element = strip.current;
    if (layer === null || !element) return;
    let taken = false;
    const take = () => {
      const height = element.offsetHeight;
      if (taken || height === 0) return;
      taken = true;
      setMeasured({ layer, height });
    };
    const observer = new ResizeObserver(take);
    observer.observe(element);
    take();
    return () => observer.disconnect();
  }, [strip, layer, windowHeight]);
  return measured?.layer === layer ? measured.height : 0;
}

/** Neurons with a view of their own: the conv intermediate view, the ReLU and max-pool details. */
const SELECTABLE: ReadonlySet<string> = new Set(["conv", "relu", "max_pool"]);

/** The column `target` reads from, following `input` through layers without a column (e.g. flatten). */
function sourceColumn(
  graph: ModelGraph,
  layout: OverviewLayout,
  target: number,
): number | undefined {
  const names = layout.columns.map((column) => column.layer.name);
  let current = graph.layers.find((layer) => layer.name === names[target]);
  while (current?.input) {
    const input = current.input;
    const index = names.indexOf(input);
    if (index >= 0) return index;
    current = graph.layers.find((layer) => layer.name === input);
  }
  return undefined;
}

/** The columns that stay in focus while a neuron's view is open: its own and the column it reads from. */
function focusLayers(
  graph: ModelGraph,
  layout: OverviewLayout,
  selected: NeuronSelection | null,
): Set<string> | null {
  if (selected === null) return null;
  const target = layout.columns.findIndex((column) => column.layer.name === selected.layer);
  if (target < 0) return null;
  const source = sourceColumn(graph, layout, target);
  const input = source === undefined ? undefined : layout.columns[source]?.layer.name;
  return new Set(input === undefined ? [selected.layer] : [selected.layer, input]);
}

/** A title's text with a line break opportunity (<wbr>) wherever `breaks` allows one. */
function Breakable({ text, breaks }: { text: string; breaks: RegExp }) {
  return (
    <>
      {text.split(breaks).map((piece, i) => (
        <span key={i}>
          {i > 0 && <wbr />}
          {piece}
        </span>
      ))}
    </>
  );
}

interface OverviewProps {
  graph: ModelGraph;
  activations: Activations;
  scope: Scope;
  /** The width to fill: the maps grow with it, and the height follows. */
  width: number;
  onSelectNeuron: (layer: string, index: number) => void;
  selected: NeuronSelection | null;
  /** Whether a layer's neurons open their view (a lesson may hide it); all by default. */
  canOpen?: (layer: string) => boolean;
}

export function Overview({
  graph,
  activations,
  scope,
  width,
  onSelectNeuron,
  selected,
  canOpen = () => true,
}: OverviewProps) {
  const [hovered, setHovered] = useState<NeuronRef | null>(null);
  const { layout: flat, titleRoom } = useMemo(() => fitOverview(graph, width), [graph, width]);
  // A view that opens in place (the conv view) asks for a gap before its neuron's column.
  const request = useRoomRequest();
  const requestedColumn = request
    ? flat.columns.findIndex((column) => column.layer.name === request.layer)
    : -1;
  const requestedWidth = request?.gapWidth;
  const strip = useRef<HTMLDivElement>(null);
  const requestedLayer = request?.layer ?? null;
  // Opened in place, the maps shrink (if need be) so the overview and the strip under it fit
  // the window together: the student sees the whole network and the view's numbers at once.
  const windowHeight = useWindowHeight();
  const stripHeight = useStripHeight(strip, requestedLayer, windowHeight);
  const fitted = useMemo(
    () =>
      stripHeight > 0
        ? fitOverview(graph, width, {
            height: windowHeight - stripHeight - 2 * SCREEN_MARGIN,
            footer: IN_PLACE_FOOTER,
          }).layout
        : flat,
    [graph, width, flat, stripHeight, windowHeight],
  );
  const expanded = useMemo(() => {
    if (requestedColumn <= 0) return null;
    // The class view's gap opens after the column its class reads from (through flatten).
    const isOutput = fitted.columns[requestedColumn]?.kind === "output";
    const source = isOutput ? sourceColumn(graph, fitted, requestedColumn) : undefined;
    if (isOutput && source === undefined) return null;
    return expandAround(fitted, requestedColumn, FOOTER - IN_PLACE_FOOTER, {
      width: requestedWidth,
      source,
    });
  }, [graph, fitted, requestedColumn, requestedWidth]);
  // While the view closes, the columns slide back under it.
  const open = expanded !== null && !request?.closing;
  const layout = open ? expanded.layout : flat;
  useLayoutEffect(() => {
    if (requestedLayer === null) return;
    offerRoom(
      expanded && strip.current
        ? { layer: requestedLayer, host: strip.current, layout: expanded.layout, gap: expanded.gap }
        : { layer: requestedLayer, host: null },
    );
    return () => offerRoom(null);
  }, [expanded, requestedLayer]);
  const height = layout.height;
  // Roving tabindex: the overview is one Tab stop, the neuron last focused (the open one,
  // else the first input channel); the arrow keys move between neurons.
  const [current, setCurrent] = useState<NeuronRef>({ column: 0, index: 0 });
  const selectedColumn = selected
    ? layout.columns.findIndex((column) => column.layer.name === selected.layer)
    : -1;
  useEffect(() => {
    if (selected && selectedColumn >= 0)
      setCurrent({ column: selectedColumn, index: selected.index });
  }, [selected, selectedColumn]);
  const stop =
    (layout.columns[current.column]?.neurons.length ?? 0) > current.index
      ? current
      : { column: 0, index: 0 };
  const ranges = useMemo(
    () => scopeRanges(graph.layers, activations.outputs, scope),
    [graph, activations, scope],
  );
  const maps = useMemo(() => {
    const byLayer = new Map<string, ReturnType<typeof neuronMaps>>();
    for (const column of layout.columns) {
      const tensor = activations.outputs.get(column.layer.name);
      if (tensor && column.kind !== "output") byLayer.set(column.layer.name, neuronMaps(tensor));
    }
    return byLayer;
  }, [layout, activations]);
  // Children's effects (the canvases' painting) run first: this marks a fully drawn overview,
  // which the performance check in tests/serving/test_spa_e2e.py reads.
  useEffect(() => {
    performance.mark("cnn101:overview-drawn", { detail: activations.bundle.imageDigest });
  }, [activations, scope, layout]);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const key = event.key;
    if (!(event.target instanceof HTMLElement) || !isArrowKey(key)) return;
    const { columnIndex, index } = event.target.dataset;
    if (columnIndex === undefined || index === undefined) return;
    event.preventDefault();
    const next = neighbour(layout, Number(columnIndex), Number(index), key);
    const target = event.currentTarget.querySelector<HTMLElement>(
      `[data-column-index="${next.column}"][data-index="${next.index}"]`,
    );
    setCurrent(next);
    target?.focus();
  };
  const onFocusNeuron = (neuron: NeuronRef) => {
    setCurrent(neuron);
    setHovered(neuron);
  };
  // The overview's own pointer or focus first, else the neuron a view laid over the
  // overview points at (the class view's maps catch the pointer over the last map column).
  const pointed = usePointedNeuron();
  const pointedColumn = pointed
    ? layout.columns.findIndex((column) => column.layer.name === pointed.layer)
    : -1;
  const shown: NeuronRef | null =
    hovered ??
    (pointed && pointedColumn >= 0 ? { column: pointedColumn, index: pointed.index } : null);
  const sources = shown ? new Set(sourcesOf(layout, shown.column, shown.index)) : new Set<number>();
  const focused = useMemo(() => focusLayers(graph, layout, selected), [graph, layout, selected]);

  return (
    <figure className="overview-figure" id="network">
      <NeuronInfo
        hovered={shown}
        layout={layout}
        maps={maps}
        ranges={ranges}
        scope={scope}
        probabilities={activations.bundle.probabilities}
        classes={graph.classes}
        graph={graph}
      />
      <div
        className={`overview${focused ? " overview-focused" : ""}${open ? " overview-expanded" : ""}`}
        style={{ width, height }}
        data-testid="overview"
        role="group"
        aria-label="The network, one column per layer: the arrow keys move between neurons, Enter opens one"
        onKeyDown={onKeyDown}
      >
        <svg className="overview-svg" width={width} height={height} aria-hidden="true">
          <Edges layout={layout} hovered={shown} hidden={open ? expanded.gap.targetColumn : null} />
        </svg>
        {layout.columns.map((column) => {
          const isOutput = column.kind === "output";
          const name = isOutput ? "output" : column.layer.name;
          const room = isOutput ? column.width : titleRoom;
          return (
            <div
              key={column.layer.name}
              className={`column-title${open && focused && !focused.has(column.layer.name) ? " column-title-context" : ""}`}
              data-column={column.layer.name}
              style={{
                left: column.x + column.width / 2 - room / 2,
                width: room,
                top: 0,
                lineHeight: `${TITLE_LINE}px`,
              }}
            >
              <span className="column-name">
                {/* A title too long for its column breaks before an underscore. */}
                <Breakable text={name} breaks={NAME_BREAKS} />
              </span>
              <span className="column-shape">
                {isOutput ? (
                  `${graph.classes.length} classes`
                ) : (
                  <Breakable text={column.layer.output_shape.join("×")} breaks={SHAPE_BREAKS} />
                )}
              </span>
            </div>
          );
        })}
        {layout.columns.map((column, columnIndex) =>
          column.kind === "output" ? (
            <OutputColumn
              key={column.layer.name}
              column={column}
              columnIndex={columnIndex}
              classes={graph.classes}
              probabilities={activations.bundle.probabilities}
              hovered={shown}
              onHover={setHovered}
              onFocusNeuron={onFocusNeuron}
              tabStop={stop.column === columnIndex ? stop.index : null}
              onSelect={
                canOpen(column.layer.name)
                  ? (index) => onSelectNeuron(column.layer.name, index)
                  : undefined
              }
            />
          ) : (
            <MapColumn
              key={column.layer.name}
              column={column}
              columnIndex={columnIndex}
              maps={maps.get(column.layer.name) ?? []}
              range={ranges.get(column.layer.name)}
              hovered={shown}
              selected={selected?.layer === column.layer.name ? selected.index : null}
              highlighted={shown?.column === columnIndex + 1 ? sources : new Set()}
              onHover={setHovered}
              onFocusNeuron={onFocusNeuron}
              tabStop={stop.column === columnIndex ? stop.index : null}
              faded={focused !== null && !focused.has(column.layer.name)}
              onSelect={
                SELECTABLE.has(column.layer.type) && canOpen(column.layer.name)
                  ? (index) => onSelectNeuron(column.layer.name, index)
                  : undefined
              }
            />
          ),
        )}
        <ScopeLegends layout={layout} ranges={ranges} />
      </div>
      {/* A view opened in place renders its controls and legends here (see ./inplace.ts). */}
      <div ref={strip} className="overview-strip" style={{ width }} />
      <ParameterCaption graph={graph} />
    </figure>
  );
}
