/**
 * A throwaway PostgreSQL cluster for tests: initdb into a temp dir, start on a free loopback port,
 * stop and delete it after. initdb refuses to run as root, so under root the cluster belongs to
 * the `postgres` system user (Debian's postgresql package creates it) and every server command
 * runs through runuser. A test that needs PostgreSQL calls startPostgres() and FAILS when no
 * install is found: a missing server is a broken machine, not a reason to skip.
 *
 * Installs looked at, first match wins per request: $DSPEX_TEST_PG (a prefix with bin/ and the
 * share dir), Debian's /usr/lib/postgresql/<major> (newest first), and the pgserver wheel (PyPI pgserver==0.1.4: PostgreSQL 16.2 with pgvector 0.6.2)
 * .ci/run unpacks to /usr/local/share/dspex-test/pgserver (PostgreSQL with pgvector, for Debian 12,
 * which packages no pgvector). `extensions` picks an install whose share dir has them.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface PostgresInstall {
  bin: string;
  /** Where CREATE EXTENSION looks for <name>.control. */
  extensionDir: string;
  version: string;
}

export interface RunningPostgres {
  url: string;
  port: number;
  install: PostgresInstall;
  stop(): Promise<void>;
}

export const PGSERVER_PREFIX = "/usr/local/share/dspex-test/pgserver/pgserver/pginstall";

function candidates(): string[] {
  const out: string[] = [];
  if (process.env.DSPEX_TEST_PG) out.push(process.env.DSPEX_TEST_PG);
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    for (const major of readdirSync(debian).sort((a, b) => Number(b) - Number(a))) out.push(join(debian, major));
  }
  out.push(PGSERVER_PREFIX);
  return out;
}

function describe(prefix: string): PostgresInstall | undefined {
  const bin = join(prefix, "bin");
  if (!existsSync(join(bin, "initdb")) || !existsSync(join(bin, "pg_ctl"))) return undefined;
  const pgConfig = join(bin, "pg_config");
  let share: string;
  let version = "?";
  if (existsSync(pgConfig)) {
    share = execFileSync(pgConfig, ["--sharedir"], { encoding: "utf8" }).trim();
    version = execFileSync(pgConfig, ["--version"], { encoding: "utf8" }).trim();
  } else {
    // Debian keeps pg_config elsewhere; its share dir is /usr/share/postgresql/<major>.
    share = join("/usr/share/postgresql", prefix.split("/").pop() ?? "");
    version = execFileSync(join(bin, "postgres"), ["--version"], { encoding: "utf8" }).trim();
  }
  return { bin, extensionDir: join(share, "extension"), version };
}

/** The first install with every extension asked for; throws (never skips) when there is none. */
export function findPostgres(extensions: readonly string[] = []): PostgresInstall {
  const seen: string[] = [];
  for (const prefix of candidates()) {
    const install = describe(prefix);
    if (!install) continue;
    seen.push(`${install.bin} (${install.version})`);
    if (extensions.every((e) => existsSync(join(install.extensionDir, `${e}.control`)))) return install;
  }
  throw new Error(
    `No PostgreSQL install${extensions.length > 0 ? ` with ${extensions.join(", ")}` : ""} found (looked at: ${
      seen.join("; ") || "none"
    }). .ci/run installs them: Debian's postgresql, and for pgvector the pgserver wheel (PyPI pgserver==0.1.4: PostgreSQL 16.2 with pgvector 0.6.2) into ${PGSERVER_PREFIX}; or set DSPEX_TEST_PG to a prefix.`,
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

const root = process.getuid?.() === 0;

function run(install: PostgresInstall, tool: string, args: string[]): void {
  const command = root ? "runuser" : join(install.bin, tool);
  const argv = root ? ["-u", "postgres", "--", join(install.bin, tool), ...args] : args;
  const r = spawnSync(command, argv, { encoding: "utf8", cwd: tmpdir() });
  if (r.status !== 0) {
    throw new Error(`${tool} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout || r.error?.message}`);
  }
}

/** Starts a cluster; `CREATE EXTENSION` for each of `extensions` in its `postgres` database. */
export async function startPostgres(options: { extensions?: string[] } = {}): Promise<RunningPostgres> {
  const extensions = options.extensions ?? [];
  const install = findPostgres(extensions);
  const dir = mkdtempSync(join(tmpdir(), "dspex-pg-"));
  const data = join(dir, "data");
  if (root) {
    // The server user must own the cluster and reach the socket dir.
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chmodSync(dir, 0o700);
    chownSync(dir, uid, gid);
  }
  const port = await freePort();
  try {
    run(install, "initdb", ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync", "--no-locale"]);
    run(install, "pg_ctl", [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-w",
      "-t",
      "60",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=32MB -c max_connections=40`,
      "start",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let stopped = false;
  const stopNow = () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", stopNow);
    try {
      // DSPEX_TEST_PG_LOG=1 shows what the server said, to debug a failing test.
      if (process.env.DSPEX_TEST_PG_LOG) process.stderr.write(readFileSync(join(dir, "server.log"), "utf8"));
      run(install, "pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A test file that ends without stopping (a failed before(), an uncaught error) leaves no server behind.
  process.on("exit", stopNow);
  const stop = async () => stopNow();
  try {
    if (extensions.length > 0) {
      const pg = (await import("pg")).default;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const e of extensions) await client.query(`CREATE EXTENSION IF NOT EXISTS ${e}`);
      } finally {
        await client.end();
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, install, stop };
}
