/**
 * MCP tools through the official SDK client, against a real SDK server over stdio (a child
 * process) and streamable HTTP; then a ReAct program in the pool calls two of them.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { PythonPool } from "../../src/bridge/index.js";
import { ScriptedLM } from "../../src/lm/providers/scripted.js";
import { context } from "../../src/modules/index.js";
import { ReAct } from "../../src/modules/python/react.js";
import { mcpTools, type Tool, ToolExecutionError } from "../../src/tools/index.js";
import { collectingLogger } from "../bridge/helpers.js";
import { startHttpServer } from "../helpers/mcp-server.js";

const serverScript = fileURLToPath(new URL("../helpers/mcp-server.ts", import.meta.url));

async function stdioClient(): Promise<Client> {
  const client = new Client({ name: "dspex-test", version: "1.0.0" });
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args: ["--import", "tsx", serverScript], stderr: "pipe" }),
  );
  return client;
}

async function httpClient(url: string): Promise<Client> {
  const client = new Client({ name: "dspex-test", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const byName = (tools: Tool[]) => new Map(tools.map((t) => [t.name, t]));

describe("mcpTools over stdio (SDK server in a child process)", () => {
  let client: Client;
  before(async () => {
    client = await stdioClient();
  });
  after(() => client.close());

  it("lists the server's tools with their schemas and calls them, text and structured", async () => {
    const text = byName(await mcpTools(client));
    assert.deepEqual([...text.keys()].sort(), ["fail", "multiply", "population"]);
    const population = text.get("population")!;
    assert.equal(population.description, "Population of a French city.");
    assert.deepEqual(population.args, { city: { type: "string", description: "City name" } });
    assert.deepEqual(population.formatAsFunctionCall().function.parameters.required, ["city"]);
    assert.equal(await population.call({ city: "Paris" }), "2100000");
    assert.equal(await text.get("multiply")!.call({ a: 6, b: 7 }), "42");
    const structured = byName(await mcpTools(client, { resultMode: "structured" }));
    assert.deepEqual(await structured.get("multiply")!.call({ a: 6, b: 7 }), { product: 42 });
    // No structuredContent: structured mode falls back to the text, as DSPy's does.
    assert.equal(await structured.get("population")!.call({ city: "Lyon" }), "520000");
    await assert.rejects(text.get("fail")!.call({}), (e: unknown) => {
      return e instanceof ToolExecutionError && e.message === "Failed to call a MCP tool: the tool broke";
    });
  });
});

describe("mcpTools over streamable HTTP", () => {
  let server: { url: string; close(): Promise<void> };
  let client: Client;
  before(async () => {
    server = await startHttpServer();
    client = await httpClient(server.url);
  });
  after(async () => {
    await client.close();
    await server.close();
  });

  it("calls the same tools over HTTP", async () => {
    const tools = byName(await mcpTools(client, { resultMode: "structured" }));
    assert.deepEqual(await tools.get("multiply")!.call({ a: 3, b: 5 }), { product: 15 });
    assert.equal(await tools.get("population")!.call({ city: "Paris" }), "2100000");
  });
});

describe("MCP tools in ReAct (DSPy in the pool, tools served in Node)", () => {
  let pool: PythonPool;
  let stdio: Client;
  let server: { url: string; close(): Promise<void> };
  let http: Client;
  before(async () => {
    pool = await PythonPool.start({
      name: "mcp-react",
      size: 1,
      modules: ["dspex_worker.modules_python"],
      logger: collectingLogger(),
    });
    stdio = await stdioClient();
    server = await startHttpServer();
    http = await httpClient(server.url);
  });
  after(async () => {
    await pool.close();
    await stdio.close();
    await http.close();
    await server.close();
  });

  it("calls two MCP tools (one over stdio, one over HTTP) and answers from their results", async () => {
    const population = (await mcpTools(stdio)).find((t) => t.name === "population")!;
    const multiply = (await mcpTools(http)).find((t) => t.name === "multiply")!;
    const lm = new ScriptedLM([
      { next_thought: "Look up Paris.", next_tool_name: "population", next_tool_args: { city: "Paris" } },
      { next_thought: "Double it.", next_tool_name: "multiply", next_tool_args: { a: 2100000, b: 2 } },
      { next_thought: "Done.", next_tool_name: "finish", next_tool_args: {} },
      { reasoning: "Paris has 2100000 people; twice that is 4200000.", answer: "4200000" },
    ]);
    const react = new ReAct("question -> answer", { pool, tools: [population, multiply], maxIters: 5 });
    const out = await context({ lm }, () => react.call({ question: "What is twice the population of Paris?" }));
    assert.equal(out.answer, "4200000");
    const trajectory = out.trajectory as Record<string, unknown>;
    assert.equal(trajectory.observation_0, "2100000");
    assert.equal(trajectory.observation_1, "4200000");
    // The extract step saw both observations in its prompt.
    const last = JSON.stringify(lm.requests.at(-1)?.messages);
    assert.match(last, /2100000/);
    assert.match(last, /4200000/);
  });
});
