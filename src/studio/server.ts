/**
 * `dspex studio`: the studio as a local web app on 127.0.0.1 (node:http). It serves the page
 * and a small read-only JSON API over the store; it never listens beyond loopback.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { StudioRunNotFoundError } from "./errors.js";
import { studioPage } from "./page.js";
import { runRecord } from "./run-record.js";
import type { RunStore } from "./store.js";

export interface StudioServer {
  /** http://127.0.0.1:PORT/ */
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ServeStudioOptions {
  store: RunStore;
  /** 0 picks a free port. Default 4141. */
  port?: number;
}

export async function serveStudio(options: ServeStudioOptions): Promise<StudioServer> {
  const { store } = options;
  let page: string | undefined;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "text/plain", "read-only");
    try {
      if (url.pathname === "/") {
        page ??= studioPage();
        return send(200, "text/html; charset=utf-8", page);
      }
      if (url.pathname === "/api/runs") return send(200, "application/json", JSON.stringify(store.runs()));
      const one = /^\/api\/runs\/([\w-]+)$/.exec(url.pathname);
      if (one) return send(200, "application/json", JSON.stringify(runRecord(store, one[1]!)));
      return send(404, "text/plain", "not found");
    } catch (error) {
      const status = error instanceof StudioRunNotFoundError ? 404 : 500;
      return send(status, "text/plain", error instanceof Error ? error.message : String(error));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 4141, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
