/**
 * An <img> that asks again after a failed load (a 503 while a service restarts), with the
 * API client's backoff: a browser never reloads a broken image by itself, so without this
 * a thumbnail that failed during an outage would stay broken after the server is back.
 */
import { useEffect, useState, type ImgHTMLAttributes } from "react";
import { retryDelaySeconds } from "../api/errors";

/** The URL of retry number `attempt`: a query parameter the gateway ignores makes it a new request. */
export function retryUrl(src: string, attempt: number): string {
  return attempt === 0 ? src : `${src}${src.includes("?") ? "&" : "?"}retry=${attempt}`;
}

export function RetryingImage({
  src,
  ...rest
}: Omit<ImgHTMLAttributes<HTMLImageElement>, "onError"> & { src: string }) {
  // `attempt` is the URL shown; `failed` holds it until the backoff has passed.
  const [load, setLoad] = useState({ src, attempt: 0, failed: false });
  const current = load.src === src ? load : { src, attempt: 0, failed: false };
  useEffect(() => {
    if (!current.failed) return;
    const next = current.attempt + 1;
    const timer = window.setTimeout(
      () => setLoad({ src, attempt: next, failed: false }),
      retryDelaySeconds(next, null) * 1000,
    );
    return () => window.clearTimeout(timer);
  }, [src, current.attempt, current.failed]);
  return (
    <img
      {...rest}
      src={retryUrl(src, current.attempt)}
      onError={() => setLoad({ src, attempt: current.attempt, failed: true })}
    />
  );
}
