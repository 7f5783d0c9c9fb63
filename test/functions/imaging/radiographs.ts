/** Small synthetic radiographs for the imaging handler and worker tests (not a test file). */
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
      return bytes;
    }
    offset += 12 + length;
  }
}

export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
