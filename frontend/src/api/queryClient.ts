/** The query cache of a page (server state through TanStack Query), one per page root. */
import { QueryClient } from "@tanstack/react-query";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The HTTP client (api/http.ts) already retries what another try can fix (503s, lost
        // connections) with its own backoff and message; a second layer would repeat refusals.
        retry: false,
        // Asked even when the browser believes it is offline: the HTTP client says so and retries.
        networkMode: "always",
        // A class switching windows at once would refetch at once.
        refetchOnWindowFocus: false,
      },
      mutations: { retry: false, networkMode: "always" },
    },
  });
}
