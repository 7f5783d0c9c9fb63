/** Small synthetic radiographs for the imaging handler and worker tests (not a test file). */
import { crc32, deflateSync } from 'node:zlib';
import { encode as encodeJpeg } from 'jpeg-js';
import { PNG } from 'pngjs';
import { buildDicom } from '../../support/dicom';

/** A grayscale gradient, like a radiograph's soft fall-off, as RGBA. */
function gradientRgba(width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = Math.round((x / Math.max(1, width - 1)) * 255);
      const i = (y * width + x) * 4;
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = v;
      data[i + 3] = 255;
    }
  }
  return data;
}

export function pngBytes(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  gradientRgba(width, height).copy(png.data);
  // No adaptive filtering: under jest it costs seconds per image and the tests need no compression.
  return new Uint8Array(PNG.sync.write(png, { filterType: 0 }));
}

export function jpegBytes(width: number, height: number): Uint8Array {
  return new Uint8Array(encodeJpeg({ data: gradientRgba(width, height), width, height }, 90).data);
}

export function dicomBytes(width: number, height: number): Uint8Array {
  return buildDicom({ rows: height, columns: width, bitsAllocated: 16, window: { center: 2048, width: 4096 } });
}

/**
 * A PNG whose chunk structure is intact (so the header check passes) but whose compressed data is
 * damaged: only decoding finds out, which happens in the worker.
 */
export function pngWithDamagedData(width: number, height: number): Uint8Array {
  const bytes = Uint8Array.from(pngBytes(width, height));
  const view = new DataView(bytes.buffer);
  let offset = 8;
  for (;;) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (type === 'IDAT') {
      for (let i = offset + 8 + 2; i < offset + 8 + length; i += 7) bytes[i] = bytes[i]! ^ 0x5a;
      // A fresh CRC: the damage is in what the zlib stream says, not in how the chunk was stored.
      view.setUint32(offset + 8 + length, crc32(bytes.subarray(offset + 4, offset + 8 + length)));
      return bytes;
    }
    offset += 12 + length;
  }
}

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** A PNG chunk with its length and CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * An 8-bit greyscale PNG whose every chunk and CRC is sound but whose complete zlib stream holds
 * only `rows` of its `height` rows: pngjs decodes it "successfully", filling the rest with black.
 */
export function pngWithMissingRows(width: number, height: number, rows: number): Uint8Array {
  const raw = Buffer.alloc((width + 1) * rows);
  for (let y = 0; y < rows; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = (x * 3 + y) & 0xff;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', new Uint8Array())]));
}

/**
 * A baseline 4:4:4 JPEG of uniform grey with a restart marker after every MCU, built on jpeg-js's
 * tables: each MCU is DC-difference 0 and end-of-block for Y, Cb and Cr (14 bits, padded with
 * ones). `mcusSent` below the image's MCU count cuts the coded data at a restart boundary and
 * closes the file there, which jpeg-js decodes without complaint, filling the missing rows.
 */
export function jpegWithRestarts(width: number, height: number, mcusSent = Math.ceil(width / 8) * Math.ceil(height / 8)): Uint8Array {
  const base = Buffer.from(jpegBytes(width, height));
  let sos = 2;
  while (base[sos + 1] !== 0xda) sos += 2 + base.readUInt16BE(sos + 2);
  const sosEnd = sos + 2 + base.readUInt16BE(sos + 2);
  const coded: number[] = [];
  for (let mcu = 0; mcu < mcusSent; mcu++) {
    if (mcu > 0) coded.push(0xff, 0xd0 + ((mcu - 1) % 8));
    coded.push(0x28, 0x03);
  }
  const restartInterval = Buffer.from([0xff, 0xdd, 0x00, 0x04, 0x00, 0x01]);
  return new Uint8Array(Buffer.concat([base.subarray(0, sos), restartInterval, base.subarray(sos, sosEnd), Buffer.from(coded), Buffer.from([0xff, 0xd9])]));
}
