/**
 * Switch the red, green or blue channel of the current picture off (and on again). Each
 * change uploads the picture with those channels zeroed, so its activations come from the
 * model like any other picture's; all on again returns to the original picture. The three
 * switches are one Tab stop (arrow keys move between them, Space switches).
 */
import { useState } from "react";
import { moveFocusWithin } from "../components/roving";
import type { Bundle } from "../api/bundle";
import { sameImage, type ImageRef } from "../url/state";
import { CHANNELS, channelFileName, rgbaWithChannels } from "./pixels";
import { rgbaPng } from "./png";

interface ChannelTogglesProps {
  bundle: Bundle;
  image: ImageRef | null;
  /** Uploads a picture; resolves to its digest, or null when it was refused. */
  onImage: (file: Blob, filename: string) => Promise<string | null>;
  /** Shows an image already known (the original, when every channel is on again). */
  onShow: (image: ImageRef) => void;
}

/** The picture the switches apply to, and the pictures made from it. */
interface Source {
  image: ImageRef;
  pixels: Uint8Array;
  size: number;
  on: boolean[];
  made: ReadonlySet<string>;
}

const ALL_ON = [true, true, true];

export function ChannelToggles({ bundle, image, onImage, onShow }: ChannelTogglesProps) {
  const [source, setSource] = useState<Source | null>(null);
  // The switches as asked for, shown while the picture is on its way.
  const [pending, setPending] = useState<boolean[] | null>(null);
  const busy = pending !== null;
  // Another picture chosen (not one made here): the switches start again from it, all on.
  const applies =
    source !== null &&
    image !== null &&
    (sameImage(image, source.image) || (image.kind === "digest" && source.made.has(image.digest)));
  const on = pending ?? (applies ? source.on : ALL_ON);

  const toggle = async (channel: number) => {
    if (image === null || busy) return;
    const base: Source = applies
      ? source
      : { image, pixels: bundle.inputPixels, size: bundle.inputSize, on: ALL_ON, made: new Set() };
    const next = base.on.map((value, c) => (c === channel ? !value : value));
    setPending(next);
    try {
      if (next.every(Boolean)) {
        setSource({ ...base, on: next });
        onShow(base.image);
        return;
      }
      const png = await rgbaPng(rgbaWithChannels(base.pixels, next), base.size, base.size);
      const digest = await onImage(png, channelFileName(next));
      if (digest !== null) setSource({ ...base, on: next, made: new Set([...base.made, digest]) });
    } finally {
      setPending(null);
    }
  };

  return (
    <fieldset className="channel-toggles" aria-busy={busy}>
      <legend>Colour channels</legend>
      <div role="toolbar" aria-label="Colour channels" onKeyDown={moveFocusWithin}>
        {CHANNELS.map((name, channel) => (
          <label key={name} className={`channel-toggle channel-${name}`}>
            <input
              type="checkbox"
              tabIndex={channel === 0 ? 0 : -1}
              checked={on[channel] ?? true}
              disabled={busy || image === null}
              onChange={() => void toggle(channel)}
              data-testid={`channel-${name}`}
            />
            {name[0]?.toUpperCase()}
            {name.slice(1)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
