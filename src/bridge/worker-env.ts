/** The environment every Python process we start inherits from Node's. */

/**
 * The parent's variables a worker inherits: only what Python, DSPy and the Deno sandbox need to
 * run (paths, locale, temp dirs, TLS roots, thread limits). An allowlist, because credentials
 * hide under any name (DATABASE_URL, GITHUB_PAT, SLACK_WEBHOOK_URL, HTTPS_PROXY with a
 * password...) and keys must stay in Node. Anything else a worker needs goes in `env`.
 */
const INHERITED = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TMP",
  "TEMP",
  "LD_LIBRARY_PATH",
  "DYLD_LIBRARY_PATH",
  "DYLD_FALLBACK_LIBRARY_PATH",
  "VIRTUAL_ENV",
  "CONDA_PREFIX",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "REQUESTS_CA_BUNDLE",
  // The Deno sandbox fetches Pyodide from the npm registry on first use; behind a TLS-inspecting
  // proxy Deno trusts its CA only through these (without them: "invalid peer certificate").
  "NODE_EXTRA_CA_CERTS",
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "DENO_DIR",
  "DSPY_CACHEDIR",
  "OPENBLAS_NUM_THREADS",
  "OMP_NUM_THREADS",
  "MKL_NUM_THREADS",
  // Windows needs these to start a process at all.
  "SYSTEMROOT",
  "SystemRoot",
  "COMSPEC",
  "PATHEXT",
  "WINDIR",
  "USERPROFILE",
  "LOCALAPPDATA",
  "APPDATA",
]);
const INHERITED_PREFIXES = ["LC_", "XDG_", "PYTHON"];
/** Even under an allowed prefix (PYTHON_KEYRING_PASSWORD...), a credential-like name stays out. */
const SECRET = /(API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PRIVATE_KEY|AUTH)/i;

export function workerBaseEnv(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined || SECRET.test(key)) continue;
    if (INHERITED.has(key) || INHERITED_PREFIXES.some((p) => key.startsWith(p))) env[key] = value;
  }
  return env;
}
