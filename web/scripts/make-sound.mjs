// Writes public/notify.wav: a ~250 ms two-tone chime (16-bit PCM, mono, 22050 Hz).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const rate = 22050;
const duration = 0.25;
const n = Math.round(rate * duration);
const tones = [
  { freq: 880, start: 0, len: 0.12 },
  { freq: 1318.5, start: 0.1, len: 0.15 },
];
const samples = new Int16Array(n);
for (let i = 0; i < n; i++) {
  const t = i / rate;
  let v = 0;
  for (const tone of tones) {
    const local = t - tone.start;
    if (local < 0 || local > tone.len) continue;
    const attack = Math.min(1, local / 0.005);
    const decay = Math.exp(-local * 18);
    v += Math.sin(2 * Math.PI * tone.freq * local) * attack * decay * 0.45;
  }
  samples[i] = Math.max(-32767, Math.min(32767, Math.round(v * 32767)));
}
const dataBytes = samples.length * 2;
const buf = Buffer.alloc(44 + dataBytes);
buf.write('RIFF', 0);
buf.writeUInt32LE(36 + dataBytes, 4);
buf.write('WAVE', 8);
buf.write('fmt ', 12);
buf.writeUInt32LE(16, 16);
buf.writeUInt16LE(1, 20); // PCM
buf.writeUInt16LE(1, 22); // mono
buf.writeUInt32LE(rate, 24);
buf.writeUInt32LE(rate * 2, 28);
buf.writeUInt16LE(2, 32);
buf.writeUInt16LE(16, 34);
buf.write('data', 36);
buf.writeUInt32LE(dataBytes, 40);
Buffer.from(samples.buffer).copy(buf, 44);
const out = fileURLToPath(new URL('../public/notify.wav', import.meta.url));
writeFileSync(out, buf);
console.log(`wrote ${out} (${buf.length} bytes)`);
