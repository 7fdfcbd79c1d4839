// tools/nsfwjs_convert/reference.js — the nsfwjs package's own outputs, for kefu's tests and
// bench.  Node and tfjs are used only here (test-data generation and the bench's side-by-side
// timing), never by kefu at run time.
//
//   node reference.js refs  OUT.txt IMG.ppm...   probabilities + embeddings of both models
//   node reference.js time  N [cpu|wasm]         ms per 224x224 forward pass, one thread
//
// Pictures are binary PPM (P6) files; they go through nsfwjs's own preprocessing
// (pixels/255, resizeBilinear with aligned corners to 224).  Embedding = the model's pooled
// features: MobileNetV2 layer 'average_pooling2d_1', MobileNetV2Mid node '.../AvgPool'.
'use strict';
const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');

function readPPM(file) {
  const b = fs.readFileSync(file);
  const head = b.toString('latin1', 0, 64).split(/\s+/);
  if (head[0] !== 'P6' || head[3] !== '255') throw new Error(file + ': not an 8-bit P6 PPM');
  const w = +head[1], h = +head[2];
  let off = 0;
  for (let fields = 0; fields < 4; off++) {  // skip 4 whitespace-ended fields
    if (/\s/.test(String.fromCharCode(b[off])) && !/\s/.test(String.fromCharCode(b[off - 1]))) fields++;
  }
  return tf.tensor3d(new Int32Array(b.subarray(off, off + w * h * 3)), [h, w, 3], 'int32');
}

async function load(name) {
  const m = await nsfwjs.load(name, name === 'MobileNetV2Mid' ? { type: 'graph' } : undefined);
  return m;
}

// Same steps as NSFWJS.infer, returning [probs, embedding].
function run(m, img, graph) {
  return tf.tidy(() => {
    const size = 224;
    let x = img.toFloat().div(tf.scalar(255));
    if (img.shape[0] !== size || img.shape[1] !== size)
      x = tf.image.resizeBilinear(x, [size, size], true);
    const batched = x.reshape([1, size, size, 3]);
    if (graph) {
      const names = m.model.executor.graph.nodes ? Object.keys(m.model.executor.graph.nodes) : [];
      const avg = names.find(n => n.endsWith('Logits/AvgPool'));
      const out = m.model.execute(batched, [avg, 'Identity']);
      return [out[1].dataSync(), out[0].dataSync()];
    }
    const sub = tf.model({ inputs: m.model.inputs,
      outputs: [m.model.getLayer('average_pooling2d_1').output, m.model.outputs[0]] });
    const out = sub.predict(batched);
    return [out[1].dataSync(), out[0].dataSync()];
  });
}

const fmt = v => Array.from(v, x => x.toPrecision(8)).join(' ');

async function refs(outFile, files) {
  await tf.setBackend('cpu');
  const lines = [`# nsfwjs ${JSON.parse(fs.readFileSync(path.join(path.dirname(require.resolve('nsfwjs')), '../../package.json'))).version}, @tensorflow/tfjs ${tf.version.tfjs}, backend cpu; written by tools/nsfwjs_convert/reference.js`];
  for (const [name, kfm, graph] of [['MobileNetV2', 'nsfw_mobilenet_v2', false],
                                     ['MobileNetV2Mid', 'mobilenet_v2_mid', true]]) {
    const m = await load(name);
    for (const f of files) {
      const img = readPPM(f);
      const [p, e] = run(m, img, graph);
      lines.push(`${kfm} ${path.basename(f, '.ppm')} probs ${p.length} ${fmt(p)} embed ${e.length} ${fmt(e)}`);
      img.dispose();
    }
  }
  fs.writeFileSync(outFile, lines.join('\n') + '\n');
}

async function time(n, backend) {
  if (backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm').setThreadsCount(1);
  }
  await tf.setBackend(backend);
  await tf.ready();
  for (const [name, graph] of [['MobileNetV2', false], ['MobileNetV2Mid', true]]) {
    const m = await load(name);
    const x = tf.randomUniform([1, 224, 224, 3]);
    for (let i = 0; i < 3; i++) tf.tidy(() => m.model.predict(x).dataSync());
    const ms = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      tf.tidy(() => m.model.predict(x).dataSync());
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    ms.sort((a, b) => a - b);
    console.log(`${name} tfjs-${backend} median_ms ${ms[n >> 1].toFixed(2)} n ${n}`);
  }
}

(async () => {
  const [mode, a, ...rest] = process.argv.slice(2);
  const log = console.info; console.info = () => {};  // nsfwjs prints banners
  if (mode === 'refs') await refs(a, rest);
  else if (mode === 'time') await time(+a || 20, rest[0] || 'wasm');
  else { log('usage: reference.js refs OUT IMG.ppm... | time N [cpu|wasm]'); process.exit(2); }
})().catch(e => { console.error(e); process.exit(1); });
