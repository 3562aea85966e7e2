/**
 * Workers inherit an allowlisted environment. Before, only names matching a denylist pattern were
 * dropped, and 18 of these 30 common credential names reached Python.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { workerBaseEnv } from "../../src/bridge/options.js";
import { startPlain } from "./helpers.js";

const CREDENTIALS = [
  "OPENAI_API_KEY",
  "OPENAI_KEY",
  "AZURE_OPENAI_KEY",
  "AZURE_OPENAI_ENDPOINT",
  "ANTHROPIC_API_KEY",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "GOOGLE_APPLICATION_CREDENTIALS",
  "GEMINI_API_KEY",
  "DATABASE_URL",
  "PGPASSWORD",
  "PGUSER",
  "REDIS_URL",
  "MONGODB_URI",
  "GITHUB_PAT",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_TOKEN",
  "SLACK_WEBHOOK_URL",
  "SLACK_BOT_TOKEN",
  "STRIPE_SECRET_KEY",
  "HF_TOKEN",
  "COHERE_API_KEY",
  "SENTRY_DSN",
  "TWILIO_AUTH_TOKEN",
  "DOCKER_PASSWORD",
  "HTTPS_PROXY",
  "http_proxy",
  "PYTHON_KEYRING_PASSWORD",
];

describe("worker environment", () => {
  it("inherits only the allowlist: no credential name reaches a real worker", async () => {
    const saved = new Map(CREDENTIALS.map((n) => [n, process.env[n]]));
    for (const n of CREDENTIALS) process.env[n] = `secret-value-of-${n}`;
    process.env.LC_TEST_LOCALE = "C";
    let names: string[];
    try {
      const pool = await startPlain({ size: 1, env: { MY_EXPLICIT: "given" } });
      try {
        names = (await pool.call("env_names", null)) as string[];
      } finally {
        await pool.close();
      }
    } finally {
      for (const [n, v] of saved) {
        if (v === undefined) delete process.env[n];
        else process.env[n] = v;
      }
      delete process.env.LC_TEST_LOCALE;
    }
    assert.deepEqual(
      CREDENTIALS.filter((n) => names.includes(n)),
      [],
    );
    for (const n of ["PATH", "PYTHONPATH", "LC_TEST_LOCALE", "MY_EXPLICIT", "DSPEX_PARENT_PID"]) {
      assert.ok(names.includes(n), `${n} should reach the worker`);
    }
  });

  it("keeps the variables Python needs and drops everything else", () => {
    const env = workerBaseEnv({
      PATH: "/bin",
      HOME: "/h",
      LANG: "C.UTF-8",
      LC_ALL: "C",
      TMPDIR: "/t",
      PYTHONHASHSEED: "0",
      VIRTUAL_ENV: "/v",
      DATABASE_URL: "postgres://u:p@h/db",
      SOME_INTERNAL_SETTING: "x",
      PYTHON_API_TOKEN: "t",
    });
    assert.deepEqual(Object.keys(env).sort(), [
      "HOME",
      "LANG",
      "LC_ALL",
      "PATH",
      "PYTHONHASHSEED",
      "TMPDIR",
      "VIRTUAL_ENV",
    ]);
  });

  it("keeps the CA settings the Deno sandbox needs to fetch Pyodide behind a TLS-inspecting proxy", () => {
    const tls = { NODE_EXTRA_CA_CERTS: "/ca.crt", DENO_CERT: "/ca.crt", DENO_TLS_CA_STORE: "system,mozilla" };
    assert.deepEqual(workerBaseEnv({ ...tls, SSL_CERT_FILE: "/ca.crt" }), { ...tls, SSL_CERT_FILE: "/ca.crt" });
  });
});
