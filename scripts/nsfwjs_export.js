// Writes the nsfwjs MobileNetV2 tfjs layers model as plain files: model.json (Keras topology and
// weights manifest) and weights.bin (the raw, still-quantized weight bytes).
// Usage: node scripts/nsfwjs_export.js <node_modules dir> <output dir>
const fs = require("fs");
const path = require("path");
const [modulesDir, outDir] = process.argv.slice(2);
const modelDir = path.join(path.resolve(modulesDir), "nsfwjs", "dist", "models", "mobilenet_v2");
const model = require(path.join(modelDir, "model.min.js"));
const shard = require(path.join(modelDir, "group1-shard1of1.min.js"));
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, "model.json"), JSON.stringify(model));
fs.writeFileSync(path.join(outDir, "weights.bin"), Buffer.from(shard, "base64"));
const version = require(path.join(path.resolve(modulesDir), "nsfwjs", "package.json")).version;
fs.writeFileSync(path.join(outDir, "VERSION"), version);
