/** The studio page's stylesheet. */
export const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #222; background: #fafafa; }
header { background: #23395b; padding: 8px 16px; }
header a { color: #fff; font-weight: 600; text-decoration: none; }
main { padding: 12px 16px; max-width: 1400px; }
h1 { font-size: 20px; margin: 8px 0 2px; }
h2 { font-size: 16px; margin: 20px 0 6px; }
h3 { font-size: 14px; margin: 8px 0 2px; font-family: ui-monospace, monospace; }
.sub { color: #666; }
.back, .trace-link { color: #23395b; }
.error { color: #a11; background: #fdecec; padding: 6px; margin: 6px 0; white-space: pre-wrap; }
table { border-collapse: collapse; background: #fff; margin: 8px 0; }
th, td { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eef1f6; }
th.sortable { cursor: pointer; }
th[data-sort="asc"]::after { content: " \\25b4"; }
th[data-sort="desc"]::after { content: " \\25be"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #fde2e4; }
.pre { white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; max-width: 420px; overflow-wrap: anywhere; }
tr.run { cursor: pointer; }
tr.run:hover { background: #f2f6fb; }
tr.failed td, tr.err td { background: #fdf3f3; }
tr.pass td:nth-child(5) { color: #1b7a45; }
tr.front td:first-child { font-weight: 600; color: #d1495b; }
.controls { display: flex; gap: 8px; align-items: center; margin: 8px 0; }
.controls input { width: 320px; padding: 4px; }
.chart { background: #fff; border: 1px solid #ddd; display: inline-block; padding: 4px; }
.instr { background: #fff; border: 1px solid #ddd; padding: 6px; max-width: 900px; }
ins { background: #d7f5dd; text-decoration: none; }
del { background: #fbd5d5; }
ul.demos { list-style: none; padding: 0; max-width: 900px; }
li.added { background: #eefaf0; margin: 2px 0; padding: 2px 4px; }
li.removed { background: #fdf0f0; margin: 2px 0; padding: 2px 4px; }
.node { margin-left: 16px; }
#trace > .node { margin-left: 0; }
.line { cursor: pointer; padding: 2px 4px; border-radius: 3px; display: flex; gap: 8px; align-items: baseline; }
.line:hover { background: #eef1f6; }
.line.err .name { color: #a11; }
.kind { font-size: 11px; padding: 0 4px; border-radius: 3px; background: #ddd; }
.kind.lm { background: #dbe8ff; } .kind.module { background: #e4f4e4; } .kind.tool { background: #fff0c9; }
.kind.evaluate, .kind.compile { background: #eadcf8; }
.lat, .meta { color: #666; font-size: 12px; }
.details { margin: 2px 0 6px 24px; }
.msg { background: #fff; border: 1px solid #e3e3e3; margin: 3px 0; padding: 4px; max-width: 1000px; }
.msg .pre { max-width: none; }
.msg.output { border-color: #b8d8c0; }
.role { font-size: 11px; color: #666; text-transform: uppercase; }
`;
