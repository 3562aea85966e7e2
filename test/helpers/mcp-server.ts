/**
 * A real MCP server built with the official SDK: `population(city)` answers in text,
 * `multiply(a, b)` in text plus structuredContent, `fail()` with an error result. Run as a
 * script it serves stdio; `startHttpServer()` serves streamable HTTP (stateless) on 127.0.0.1:0.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

const POPULATION: Record<string, number> = { Paris: 2_100_000, Lyon: 520_000 };

export function buildServer(): McpServer {
  const server = new McpServer({ name: "dspex-test-tools", version: "1.0.0" });
  server.registerTool(
    "population",
    { description: "Population of a French city.", inputSchema: { city: z.string().describe("City name") } },
    async ({ city }) => ({ content: [{ type: "text", text: String(POPULATION[city] ?? "unknown") }] }),
  );
  server.registerTool(
    "multiply",
    {
      description: "Multiply two numbers.",
      inputSchema: { a: z.number(), b: z.number() },
      outputSchema: { product: z.number() },
    },
    async ({ a, b }) => ({
      content: [{ type: "text", text: String(a * b) }],
      structuredContent: { product: a * b },
    }),
  );
  server.registerTool("fail", { description: "Always fails." }, async () => ({
    content: [{ type: "text", text: "the tool broke" }],
    isError: true,
  }));
  return server;
}

/** Streamable HTTP, stateless: a fresh server and transport per POST, as the SDK's examples do. */
export async function startHttpServer(): Promise<{ url: string; close(): Promise<void> }> {
  const http: Server = createServer(async (req, res) => {
    if (req.method !== "POST") {
      res.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const server = buildServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  await buildServer().connect(new StdioServerTransport());
}
