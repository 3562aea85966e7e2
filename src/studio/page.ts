/**
 * The studio's one HTML page, served by `dspex studio` and written whole by `--report`. uPlot's
 * script and stylesheet are read from the installed package and inlined, so the page needs no
 * network, in the browser or on disk.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { CLIENT_JS } from "./client.js";
import { STYLE } from "./style.js";

let uplot: { js: string; css: string } | undefined;

/** uPlot's browser build (an IIFE defining `uPlot`) and its stylesheet. */
function uplotAssets(): { js: string; css: string } {
  if (uplot === undefined) {
    const dist = dirname(createRequire(import.meta.url).resolve("uplot"));
    uplot = {
      js: readFileSync(join(dist, "uPlot.iife.min.js"), "utf8"),
      css: readFileSync(join(dist, "uPlot.min.css"), "utf8"),
    };
  }
  return uplot;
}

/** Text safe inside a <script> or <style> element. */
function inline(text: string): string {
  return text.replace(/<\/(script|style)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/** What a static report carries: the runs list and each run's full record, keyed by id. */
export interface EmbeddedData {
  runs: unknown[];
  details: Record<string, unknown>;
}

export function studioPage(options: { title?: string; data?: EmbeddedData } = {}): string {
  const { js, css } = uplotAssets();
  const data =
    options.data === undefined
      ? ""
      : `<script>window.__DSPEX_DATA__ = ${JSON.stringify(options.data).replace(/</g, "\\u003c")};</script>\n`;
  const title = (options.title ?? "DSPex studio").replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${inline(css)}</style>
<style>${inline(STYLE)}</style>
</head>
<body>
<header><a href="#/">DSPex studio</a></header>
<main id="app"></main>
${data}<script>${inline(js)}</script>
<script>${inline(CLIENT_JS)}</script>
</body>
</html>
`;
}
