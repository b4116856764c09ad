// Reference predictions of the nsfwjs model with tfjs itself, to check the ONNX conversion.
// Usage: node scripts/nsfwjs_predict.js <node_modules dir> <export dir> <inputs.f32> <count>
// inputs.f32 holds <count> images as float32 NHWC 224x224x3 in 0..1; prints JSON probabilities.
const fs = require("fs");
const path = require("path");
const [modulesDir, exportDir, inputPath, count] = process.argv.slice(2);
const tf = require(path.join(path.resolve(modulesDir), "@tensorflow", "tfjs"));
const model = JSON.parse(fs.readFileSync(path.join(exportDir, "model.json"), "utf8"));
const weights = fs.readFileSync(path.join(exportDir, "weights.bin"));
(async () => {
  const handler = tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  });
  const net = await tf.loadLayersModel(handler);
  const raw = fs.readFileSync(inputPath);
  const data = new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
  const input = tf.tensor4d(data, [Number(count), 224, 224, 3]);
  const output = net.predict(input);
  process.stdout.write(JSON.stringify(await output.array()));
})();
