/**
 * The handshake between the overview and a view that opens inside it. The two live apart
 * (the views are a lazily loaded chunk rendered after the overview), so they meet here: the
 * view asks for room around its neuron, the overview opens a gap and hands back where it is
 * and an element under the overview (its strip) to render into; the view says when it is
 * closing, so the overview closes the gap while the view fades; and, where it lies over the
 * overview's neurons (catching the pointer for itself), which neuron the pointer is over.
 */
import { useSyncExternalStore } from "react";
import type { OverviewLayout } from "../../math/layout";
import type { NeuronSelection } from "../../url/state";
import type { Gap } from "./expand";

export interface InPlaceRequest {
  layer: string;
  index: number;
  closing: boolean;
  /** The gap's width the view needs; by default the conv view's own. */
  gapWidth?: number;
}

/** The room opened for the view of a neuron of `layer`; or none (host null) where the
 * overview cannot open a gap for it (its input has no column right before it). */
export type InPlaceRoom =
  | {
      layer: string;
      /** The element directly under the overview, as wide as it, that the view renders into. */
      host: HTMLElement;
      layout: OverviewLayout;
      gap: Gap;
    }
  | { layer: string; host: null };

interface State {
  request: InPlaceRequest | null;
  room: InPlaceRoom | null;
  /** The overview's neuron the pointer is over through a view laid on it (the class view's maps). */
  pointed: NeuronSelection | null;
}

let state: State = { request: null, room: null, pointed: null };
const listeners = new Set<() => void>();

function update(next: Partial<State>): void {
  state = { ...state, ...next };
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A view asks for room around its neuron (null: it is gone). */
export function requestRoom(request: InPlaceRequest | null): void {
  update({ request });
}

/** The overview offers (or, with null, withdraws) the room it opened. */
export function offerRoom(room: InPlaceRoom | null): void {
  update({ room });
}

/** A view laid over the overview's neurons says which one the pointer is over (null: none). */
export function pointAtNeuron(neuron: NeuronSelection | null): void {
  update({ pointed: neuron });
}

export function usePointedNeuron(): NeuronSelection | null {
  return useSyncExternalStore(subscribe, () => state.pointed);
}

export function useRoomRequest(): InPlaceRequest | null {
  return useSyncExternalStore(subscribe, () => state.request);
}

export function useRoom(): InPlaceRoom | null {
  return useSyncExternalStore(subscribe, () => state.room);
}
