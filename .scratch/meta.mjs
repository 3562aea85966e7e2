import { readGgufFileInfo } from "node-llama-cpp";
for (const p of process.argv.slice(2)) {
  const info = await readGgufFileInfo(p, { readTensorInfo: false });
  const g = info.metadata.general;
  console.log(p, JSON.stringify({ name: g.name, arch: g.architecture, license: g.license, base: g.base_model, ftype: g.file_type, size_label: g.size_label, basename: g.basename, finetune: g.finetune, ctx: info.metadata[g.architecture]?.context_length, vocab: info.metadata.tokenizer?.ggml?.tokens?.length }));
}
