import { deflateSync } from 'node:zlib';
import { decode as decodeJpeg } from 'jpeg-js';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#core/errors';
import { checkImageHeader, checkPixelRows, inspectImage, sniffImageFormat } from '../../../functions/imaging/image-intake';
import { fitWithin, downscalePixels } from '../../../functions/imaging/downscale';
import { buildDicom, IMPLICIT_LE } from '../../support/dicom';
import { jpegBytes, jpegWithRestarts, pngBytes, pngChunk, pngWithMissingRows } from './radiographs';

const MB = 1024 * 1024;
const options = { maxBytes: 4 * MB };

/** Rewrites the IHDR dimensions of a PNG (and its CRC is left stale: the header check must come first). */
function withPngDimensions(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  const view = new DataView(copy.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return copy;
}

/** A PNG with the given header and one IDAT chunk of raw zlib data (CRCs are not checked before decoding). */
function pngWithData(width: number, height: number, idat: Uint8Array, interlace: 0 | 1): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data).copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, interlace], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array())]);
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function expectError(fn: () => unknown, type: new (...args: never[]) => Error, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
}

function decodedPixel(bytes: Uint8Array, x: number, y: number): number {
  const image = decodeJpeg(bytes, { useTArray: true });
  return image.data[(y * image.width + x) * 4]!;
}

describe('sniffImageFormat', () => {
  it('recognises formats by their bytes', () => {
    expect(sniffImageFormat(pngBytes(64, 64))).toBe('png');
    expect(sniffImageFormat(jpegBytes(64, 64))).toBe('jpeg');
    expect(sniffImageFormat(buildDicom({ rows: 64, columns: 64 }))).toBe('dicom');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a......'))).toBeUndefined();
  });
});

describe('inspectImage: PNG and JPEG', () => {
  it('downscales a large PNG to a 1024 px long edge, keeping the aspect, as JPEG', () => {
    const result = inspectImage(pngBytes(2048, 1024), 'image/png', { maxBytes: 25 * MB });
    expect(result).toMatchObject({ format: 'png', width: 2048, height: 1024 });
    expect(result.normalized).toMatchObject({ mediaType: 'image/jpeg', width: 1024, height: 512 });
    expect(sniffImageFormat(result.normalized.bytes)).toBe('jpeg');
    const decoded = decodeJpeg(result.normalized.bytes, { useTArray: true });
    expect([decoded.width, decoded.height]).toEqual([1024, 512]);
    // The gradient survives: dark on the left, bright on the right.
    expect(decodedPixel(result.normalized.bytes, 2, 256)).toBeLessThan(20);
    expect(decodedPixel(result.normalized.bytes, 1021, 256)).toBeGreaterThan(235);
  });

  it('keeps a small JPEG at its size and re-encodes it', () => {
    const result = inspectImage(jpegBytes(300, 200), 'image/jpeg', options);
    expect(result).toMatchObject({ format: 'jpeg', width: 300, height: 200 });
    expect(result.normalized).toMatchObject({ width: 300, height: 200 });
  });

  it('downscales a tall JPEG by its height', () => {
    const result = inspectImage(jpegBytes(600, 1500), 'image/jpeg; charset=binary', options);
    expect(result.normalized).toMatchObject({ width: 410, height: 1024 });
  });

  it('refuses a PNG declared as JPEG, saying what it is', () => {
    expectError(() => inspectImage(pngBytes(64, 64), 'image/jpeg', options), BadRequestError, /declared as image\/jpeg is actually a PNG/);
  });

  it('refuses a JPEG declared as DICOM', () => {
    expectError(() => inspectImage(jpegBytes(64, 64), 'application/dicom', options), BadRequestError, /actually a JPEG/);
  });

  it('refuses bytes that are no image with 415', () => {
    expectError(() => inspectImage(new TextEncoder().encode('%PDF-1.7 not an x-ray at all'), 'image/png', options), UnsupportedMediaTypeError, /not a JPEG, PNG or DICOM/);
  });

  it('refuses a declared type it does not take with 415', () => {
    expectError(() => inspectImage(pngBytes(64, 64), 'image/gif', options), UnsupportedMediaTypeError, /image\/gif/);
  });

  it('refuses an empty file and one over the byte limit', () => {
    expectError(() => inspectImage(new Uint8Array(0), 'image/png', options), BadRequestError, /empty/);
    expectError(() => inspectImage(pngBytes(200, 200), 'image/png', { maxBytes: 100 }), PayloadTooLargeError, /limit is 100 bytes/);
  });

  it('refuses an image under 64×64', () => {
    expectError(() => inspectImage(pngBytes(63, 200), 'image/png', options), BadRequestError, /63×200.*at least 64×64/);
    expectError(() => inspectImage(jpegBytes(100, 40), 'image/jpeg', options), BadRequestError, /100×40/);
  });

  it('refuses a PNG that declares enormous dimensions before inflating anything (bomb guard)', () => {
    const hostile = withPngDimensions(pngBytes(64, 64), 100_000, 100_000);
    expectError(() => inspectImage(hostile, 'image/png', options), PayloadTooLargeError, /100000×100000 = 10000000000 pixels; the limit is 16000000 pixels \(16 MP, e\.g\. 4000×4000\)/);
  });

  it('refuses a zip bomb disguised as a small PNG: the inflate is bounded by the declared size', () => {
    // 64 MiB of zeros deflate to ~64 KiB: a 100×100 header in front of it must not inflate it all.
    const idat = deflateSync(Buffer.alloc(64 * MB));
    const bomb = pngWithData(100, 100, idat, 0);
    expectError(() => inspectImage(bomb, 'image/png', options), BadRequestError, /PNG file could not be decoded/);
  });

  it('refuses an interlaced PNG before decoding, since its inflate would be unbounded', () => {
    const interlaced = pngWithData(100, 100, deflateSync(Buffer.alloc(64 * MB)), 1);
    expectError(() => checkImageHeader(interlaced, 'image/png', options), BadRequestError, /Interlaced/);
  });

  it('honours a lower pixel cap', () => {
    expectError(() => checkImageHeader(pngBytes(200, 200), 'image/png', { ...options, maxPixels: 39_999 }), PayloadTooLargeError, /200×200/);
  });

  it('refuses a JPEG that declares enormous dimensions', () => {
    const bytes = Uint8Array.from(jpegBytes(64, 64));
    // Find the SOF0 segment and rewrite its height and width.
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    bytes.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    expectError(() => inspectImage(bytes, 'image/jpeg', options), PayloadTooLargeError, /65535×65535/);
  });

  it('refuses a truncated PNG', () => {
    const bytes = pngBytes(128, 128);
    expectError(() => inspectImage(bytes.subarray(0, bytes.length - 20), 'image/png', options), BadRequestError, /PNG file is truncated/);
    expectError(() => inspectImage(bytes.subarray(0, 20), 'image/png', options), BadRequestError, /truncated/);
  });

  it('refuses a truncated JPEG', () => {
    const bytes = jpegBytes(256, 256);
    expectError(() => inspectImage(bytes.subarray(0, Math.floor(bytes.length * 0.6)), 'image/jpeg', options), BadRequestError, /JPEG file is truncated/);
    expectError(() => inspectImage(bytes.subarray(0, 10), 'image/jpeg', options), BadRequestError, /truncated/);
  });

  it('refuses a PNG whose image data is corrupt', () => {
    const bytes = Uint8Array.from(pngBytes(128, 128));
    const idat = bytes.findIndex((b, i) => String.fromCharCode(b, bytes[i + 1]!, bytes[i + 2]!, bytes[i + 3]!) === 'IDAT');
    for (let i = idat + 10; i < idat + 40; i++) bytes[i] = 0xaa;
    expectError(() => inspectImage(bytes, 'image/png', options), BadRequestError, /checksum \(CRC\) of its IDAT chunk does not match/);
  });

  it('refuses random bytes behind a PNG signature with a clear 4xx', () => {
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
    random.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expectError(() => inspectImage(random, 'image/png', options), BadRequestError, /PNG file/);
  });

  it('refuses a lossless (SOF3) JPEG naming the coding process', () => {
    const bytes = Uint8Array.from(jpegBytes(64, 64));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    bytes[sof + 1] = 0xc3;
    expectError(() => inspectImage(bytes, 'image/jpeg', options), BadRequestError, /SOF3/);
  });
});

/** Offset just past the start-of-scan segment's header: where a JPEG's coded data begins. */
function codedDataStart(bytes: Uint8Array): number {
  let offset = 2;
  while (bytes[offset + 1] !== 0xda) offset += 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
  return offset + 2 + ((bytes[offset + 2]! << 8) | bytes[offset + 3]!);
}
const EOI = Uint8Array.of(0xff, 0xd9);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

describe('checkImageHeader: truncated pixel data is refused before decoding', () => {
  it('refuses a JPEG with one byte of coded data closed by an end-of-image marker', () => {
    const bytes = jpegBytes(256, 256);
    const oneByte = concat(bytes.subarray(0, codedDataStart(bytes) + 1), EOI);
    expectError(() => checkImageHeader(oneByte, 'image/jpeg', options), BadRequestError, /JPEG file is truncated: 1 bytes of image data cannot hold 256×256 pixels/);
    // The complete file passes the same walk.
    expect(checkImageHeader(bytes, 'image/jpeg', options)).toEqual({ format: 'jpeg', width: 256, height: 256 });
  });

  it('refuses a JPEG without a start-of-scan segment', () => {
    const bytes = jpegBytes(128, 128);
    let sos = 2;
    while (bytes[sos + 1] !== 0xda) sos += 2 + ((bytes[sos + 2]! << 8) | bytes[sos + 3]!);
    expectError(() => checkImageHeader(concat(bytes.subarray(0, sos), EOI), 'image/jpeg', options), BadRequestError, /no start-of-scan segment/);
  });

  it('refuses a JPEG cut inside its coded data', () => {
    const bytes = jpegBytes(256, 256);
    const half = bytes.subarray(0, Math.floor(bytes.length / 2));
    expectError(() => checkImageHeader(half, 'image/jpeg', options), BadRequestError, /runs to the end of the file without an end-of-image marker/);
  });

  it('refuses a JPEG cut at a restart marker, which jpeg-js would decode with the missing rows filled', () => {
    const full = jpegWithRestarts(128, 128);
    expect(checkImageHeader(full, 'image/jpeg', options)).toMatchObject({ width: 128, height: 128 });
    const cut = jpegWithRestarts(128, 128, 100);
    // The decoder's own verdict on the cut file: a full-size image, no error.
    expect(decodeJpeg(cut, { useTArray: true, tolerantDecoding: false })).toMatchObject({ width: 128, height: 128 });
    expectError(() => checkImageHeader(cut, 'image/jpeg', options), BadRequestError, /stops after 100 of 256 restart intervals/);
  });

  it('refuses a progressive JPEG whose AC scans never came', () => {
    const bytes = Uint8Array.from(jpegBytes(128, 128));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
    bytes[sof + 1] = 0xc2;
    expectError(() => checkImageHeader(bytes, 'image/jpeg', options), BadRequestError, /image data of its component 1 is missing or incomplete/);
  });

  it('refuses a PNG without IDAT, with a bad CRC, or with too little IDAT for its size', () => {
    const bytes = pngBytes(128, 128);
    const signatureAndIhdr = bytes.subarray(0, 33);
    const iend = pngChunk('IEND', new Uint8Array());
    expectError(() => checkImageHeader(concat(signatureAndIhdr, iend), 'image/png', options), BadRequestError, /no IDAT chunk/);

    const badCrc = Uint8Array.from(bytes);
    badCrc[32] = badCrc[32]! ^ 1; // the last byte of IHDR's CRC
    expectError(() => checkImageHeader(badCrc, 'image/png', options), BadRequestError, /checksum \(CRC\) of its IHDR chunk/);

    const oneByte = concat(signatureAndIhdr, pngChunk('IDAT', Uint8Array.of(0x78)), iend);
    expectError(() => checkImageHeader(oneByte, 'image/png', options), BadRequestError, /1 bytes of image data cannot hold 128×128 pixels/);
  });
});

describe('checkPixelRows: the worker counts the rows before decoding', () => {
  it('refuses a sound PNG whose zlib stream holds half its rows', async () => {
    const short = pngWithMissingRows(512, 512, 256);
    const header = checkImageHeader(short, 'image/png', options);
    await expect(checkPixelRows(short, header)).rejects.toThrow(/holds 256 of the 512 rows its header declares/);
  });

  it('refuses a PNG whose zlib stream is cut off, saying how many rows it holds', async () => {
    const raw = Buffer.alloc(257 * 256, 0x41);
    for (let y = 0; y < 256; y++) raw[y * 257] = 0;
    const stream = deflateSync(raw, { level: 0 });
    const ihdr = Buffer.from(pngBytes(256, 256).subarray(16, 29));
    ihdr[8] = 8;
    ihdr[9] = 0;
    const png = concat(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), pngChunk('IHDR', ihdr), pngChunk('IDAT', stream.subarray(0, stream.length / 2)), pngChunk('IEND', new Uint8Array()));
    await expect(checkPixelRows(png, checkImageHeader(png, 'image/png', options))).rejects.toThrow(/corrupt or truncated after 1\d\d of its 256 rows/);
  });

  it('passes complete PNGs and JPEGs', async () => {
    for (const [bytes, type] of [[pngBytes(300, 200), 'image/png'], [jpegBytes(300, 200), 'image/jpeg']] as const) {
      await expect(checkPixelRows(bytes, checkImageHeader(bytes, type, options))).resolves.toBeUndefined();
    }
  });
});

describe('inspectImage: DICOM', () => {
  it('reads a 16-bit explicit VR little endian radiograph, min–max windowed', () => {
    const result = inspectImage(buildDicom({ rows: 128, columns: 256 }), 'application/dicom', options);
    expect(result).toMatchObject({ format: 'dicom', width: 256, height: 128, normalized: { width: 256, height: 128, mediaType: 'image/jpeg' } });
    expect(decodedPixel(result.normalized.bytes, 1, 64)).toBeLessThan(15);
    expect(decodedPixel(result.normalized.bytes, 254, 64)).toBeGreaterThan(240);
  });

  it('reads implicit VR little endian and skips a nested sequence of undefined length', () => {
    const result = inspectImage(buildDicom({ rows: 100, columns: 80, transferSyntaxUid: IMPLICIT_LE, withSequence: true }), 'application/dicom', options);
    expect(result).toMatchObject({ width: 80, height: 100 });
  });

  it('skips a sequence in explicit VR too (the decoy Rows inside it is ignored)', () => {
    const result = inspectImage(buildDicom({ rows: 90, columns: 70, withSequence: true }), 'application/dicom', options);
    expect(result).toMatchObject({ width: 70, height: 90 });
  });

  it('reads 8-bit pixels', () => {
    const result = inspectImage(buildDicom({ rows: 64, columns: 64, bitsAllocated: 8 }), 'application/dicom', options);
    expect(decodedPixel(result.normalized.bytes, 62, 10)).toBeGreaterThan(235);
  });

  it('applies the window center/width when present', () => {
    // Values 0..4095 across the row; window 1000±50 → everything left of ~950 black, right of ~1050 white.
    const result = inspectImage(buildDicom({ rows: 64, columns: 410, window: { center: 1000, width: 100 } }), 'application/dicom', options);
    const columnOf = (value: number) => Math.round((value / 4095) * 409);
    expect(decodedPixel(result.normalized.bytes, columnOf(500), 32)).toBeLessThan(12);
    expect(decodedPixel(result.normalized.bytes, columnOf(2000), 32)).toBeGreaterThan(243);
  });

  it('inverts MONOCHROME1 so that 0 is black', () => {
    const result = inspectImage(buildDicom({ rows: 64, columns: 128, photometric: 'MONOCHROME1' }), 'application/dicom', options);
    expect(decodedPixel(result.normalized.bytes, 1, 32)).toBeGreaterThan(240);
    expect(decodedPixel(result.normalized.bytes, 126, 32)).toBeLessThan(15);
  });

  it('handles signed pixels with a rescale', () => {
    const pixels = Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) - 32) & 0xfff);
    const result = inspectImage(buildDicom({ rows: 64, columns: 64, signed: true, pixels, rescale: { slope: 2, intercept: -1000 } }), 'application/dicom', options);
    expect(decodedPixel(result.normalized.bytes, 1, 5)).toBeLessThan(15);
    expect(decodedPixel(result.normalized.bytes, 62, 5)).toBeGreaterThan(235);
  });

  it('downscales a large DICOM', () => {
    const result = inspectImage(buildDicom({ rows: 1500, columns: 3000 }), 'application/dicom', { maxBytes: 25 * MB });
    expect(result.normalized).toMatchObject({ width: 1024, height: 512 });
  });

  it.each([
    ['1.2.840.10008.1.2.4.90', /JPEG 2000/],
    ['1.2.840.10008.1.2.4.50', /JPEG Baseline/],
    ['1.2.840.10008.1.2.5', /RLE Lossless/],
    ['1.2.840.10008.1.2.2', /Big Endian/],
    ['1.2.3.4.5', /1\.2\.3\.4\.5/],
  ])('refuses transfer syntax %s naming it', (uid, message) => {
    expectError(() => inspectImage(buildDicom({ rows: 64, columns: 64, transferSyntaxUid: uid, explicit: true }), 'application/dicom', options), BadRequestError, message);
  });

  it('refuses a truncated DICOM', () => {
    const bytes = buildDicom({ rows: 128, columns: 128 });
    expectError(() => inspectImage(bytes.subarray(0, bytes.length - 1000), 'application/dicom', options), BadRequestError, /truncated|pixel data holds/);
    expectError(() => inspectImage(bytes.subarray(0, 200), 'application/dicom', options), BadRequestError, /truncated/);
    expectError(() => inspectImage(bytes.subarray(0, 140), 'application/dicom', options), BadRequestError, /truncated|transfer syntax/);
  });

  it('refuses a DICOM without pixel data', () => {
    expectError(() => inspectImage(buildDicom({ rows: 64, columns: 64, withoutPixelData: true }), 'application/dicom', options), BadRequestError, /no pixel data/);
  });

  it('refuses colour and unusual bit depths', () => {
    expectError(() => inspectImage(buildDicom({ rows: 64, columns: 64, photometric: 'RGB', samplesPerPixel: 3 }), 'application/dicom', options), BadRequestError, /grayscale/);
    expectError(() => inspectImage(buildDicom({ rows: 64, columns: 64, bitsAllocated: 32 as 16, bitsStored: 12 }), 'application/dicom', options), BadRequestError, /32 bits allocated/);
  });

  it('refuses enormous declared DICOM dimensions before reading pixels', () => {
    const bytes = buildDicom({ rows: 64, columns: 64 });
    // Rows and Columns are US values: patch them in place to 65535 × 65535.
    const patched = Uint8Array.from(bytes);
    for (let i = 132; i < patched.length - 10; i++) {
      if (patched[i] === 0x28 && patched[i + 1] === 0x00 && (patched[i + 2] === 0x10 || patched[i + 2] === 0x11) && patched[i + 3] === 0x00) {
        patched[i + 8] = 0xff;
        patched[i + 9] = 0xff;
      }
    }
    expectError(() => inspectImage(patched, 'application/dicom', options), PayloadTooLargeError, /65535×65535/);
  });

  it('refuses a DICOM under 64×64', () => {
    expectError(() => inspectImage(buildDicom({ rows: 32, columns: 64 }), 'application/dicom', options), BadRequestError, /64×32/);
  });

  it('survives random bytes after a DICM marker with a 4xx', () => {
    let seed = 11;
    for (let round = 0; round < 50; round++) {
      const bytes = Uint8Array.from({ length: 600 }, () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff);
      bytes.set([0x44, 0x49, 0x43, 0x4d], 128);
      bytes.set([0x02, 0x00, 0x10, 0x00, 0x55, 0x49], 132);
      let thrown: unknown;
      try {
        inspectImage(bytes, 'application/dicom', options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BadRequestError);
    }
  });
});

describe('downscale', () => {
  it('fits within the long edge and never upscales', () => {
    expect(fitWithin(4000, 2000, 1024)).toEqual({ width: 1024, height: 512 });
    expect(fitWithin(500, 300, 1024)).toEqual({ width: 500, height: 300 });
    expect(fitWithin(5000, 3, 1024)).toEqual({ width: 1024, height: 1 });
  });

  it('averages the pixels each output pixel covers', () => {
    const source = Uint8Array.from([0, 100, 200, 40, 60, 80, 10, 30]); // 4×2 gray
    expect(Array.from(downscalePixels(source, 4, 2, 1, { width: 2, height: 1 }))).toEqual([Math.round((0 + 100 + 60 + 80) / 4), Math.round((200 + 40 + 10 + 30) / 4)]);
  });
});
