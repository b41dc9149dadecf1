#!/usr/bin/env node
// ci/report_png_check.js SCREENSHOT.png — exit 0 when the screenshot is not blank.
//
// Decodes the PNG (8-bit RGB or RGBA, non-interlaced: what Chromium writes),
// samples every 4th pixel of every 4th row and requires at least 16 distinct
// colours and 5% of the samples other than the page's white / background.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const data = fs.readFileSync(process.argv[2]);
if (data.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
let pos = 8, width = 0, height = 0, channels = 0;
const idat = [];
while (pos < data.length) {
  const n = data.readUInt32BE(pos), kind = data.toString('latin1', pos + 4, pos + 8);
  const body = data.subarray(pos + 8, pos + 8 + n);
  if (kind === 'IHDR') {
    width = body.readUInt32BE(0);
    height = body.readUInt32BE(4);
    if (body[8] !== 8 || (body[9] !== 2 && body[9] !== 6) || body[12] !== 0) {
      throw new Error('unexpected PNG format');
    }
    channels = body[9] === 2 ? 3 : 4;
  } else if (kind === 'IDAT') {
    idat.push(body);
  }
  pos += 12 + n;
}
const raw = zlib.inflateSync(Buffer.concat(idat));
const stride = width * channels;
let prev = new Uint8Array(stride), line = new Uint8Array(stride);
const colours = new Set();
let ink = 0, seen = 0;
for (let y = 0; y < height; y++) {
  const f = raw[y * (stride + 1)], src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
  for (let i = 0; i < stride; i++) {
    const a = i >= channels ? line[i - channels] : 0, b = prev[i];
    const c = i >= channels ? prev[i - channels] : 0;
    let v = src[i];
    if (f === 1) v += a;
    else if (f === 2) v += b;
    else if (f === 3) v += (a + b) >> 1;
    else if (f === 4) {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
    line[i] = v & 255;
  }
  if (y % 4 === 0) {
    for (let x = 0; x < width; x += 4) {
      const k = (line[x * channels] << 16) | (line[x * channels + 1] << 8) | line[x * channels + 2];
      colours.add(k);
      seen++;
      if (k !== 0xffffff && k !== 0xfafbfc) ink++;
    }
  }
  [prev, line] = [line, prev];
}
const share = ink / Math.max(1, seen);
console.log(`  ${process.argv[2]}: ${width}x${height}, ${colours.size} colours, ` +
            `${(100 * share).toFixed(1)}% ink`);
process.exit(colours.size >= 16 && share >= 0.05 ? 0 : 1);
