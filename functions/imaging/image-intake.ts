/**
 * What happens to a radiograph before any model sees it: recognise the format by its bytes
 * (never by the declared type), read its dimensions from the header and refuse what is too small
 * or too large *before* decoding (a 100-byte PNG can declare 100,000 × 100,000 pixels), decode,
 * downscale to what a vision model can use, and re-encode as one JPEG. Fewer pixels sent means
 * fewer image tokens paid for.
 *
 * Every refusal is a typed 4xx whose message says what was wrong: 413 for too many bytes or
 * pixels, 415 for a format we do not take, 400 for a mismatch, a truncated or corrupt file.
 */
import { decode as decodeJpegData, encode as encodeJpegData } from 'jpeg-js';
import { crc32, createInflate } from 'node:zlib';
import { PNG } from 'pngjs';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#core/errors';
import { checkDimensions, decodeDicomGray, isDicomPart10, readDicomHeader } from './dicom';
import { downscalePixels, fitWithin, grayToRgba } from './downscale';

export type ImageFormat = 'jpeg' | 'png' | 'dicom';

/** Declared content types we take, and the format each promises. */
export const ACCEPTED_CONTENT_TYPES: Readonly<Record<string, ImageFormat>> = {
  'image/jpeg': 'jpeg',
  'image/png': 'png',
  'application/dicom': 'dicom',
};

/**
 * Upper bound on decoded pixels: the decompression-bomb guard, and what the imaging worker
 * (1024 MB) can decode. Measured peak RSS of a decode on Node 20: a 4:4:4 colour JPEG (jpeg-js
 * keeps a 64-entry Int32Array per 8×8 block per component) about 33 bytes a pixel, 594 MB at
 * 16 MP and 884 MB at 25 MP; a 16-bit RGBA PNG 1.57 GB at 50 MP. 16 MP (4000×4000) is above any
 * dental radiograph (a panoramic is about 3000×1500) and leaves the worker room to spare.
 */
export const DEFAULT_MAX_PIXELS = 16_000_000;
/** Below this a radiograph cannot be read. */
export const DEFAULT_MIN_DIMENSION = 64;
/** Vision models downscale anything larger themselves, so larger only costs tokens. */
export const DEFAULT_MAX_LONG_EDGE = 1024;
export const DEFAULT_JPEG_QUALITY = 85;

export interface ImageIntakeOptions {
  /** Largest file accepted, in bytes (e.g. 4 MiB inline, 25 MiB by upload). */
  maxBytes: number;
  /** @default DEFAULT_MAX_PIXELS */
  maxPixels?: number;
  /** @default DEFAULT_MIN_DIMENSION */
  minDimension?: number;
  /** @default DEFAULT_MAX_LONG_EDGE */
  maxLongEdge?: number;
  /** @default DEFAULT_JPEG_QUALITY */
  jpegQuality?: number;
}

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export interface InspectedImage extends ImageHeader {
  normalized: { mediaType: 'image/jpeg'; bytes: Uint8Array; width: number; height: number };
}

const FORMAT_NAMES: Record<ImageFormat, string> = { jpeg: 'JPEG', png: 'PNG', dicom: 'DICOM' };
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format the bytes are, from their magic numbers; undefined for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (isDicomPart10(bytes)) return 'dicom';
  return undefined;
}

/**
 * Every check that needs no decoding: size in bytes, declared type against the real format,
 * structure complete (not truncated), dimensions within limits. Cheap enough for the API function.
 */
export function checkImageHeader(bytes: Uint8Array, declaredContentType: string, options: ImageIntakeOptions): ImageHeader {
  const limits = { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, minDimension: options.minDimension ?? DEFAULT_MIN_DIMENSION };
  if (bytes.length > options.maxBytes) {
    throw new PayloadTooLargeError(`Image is ${bytes.length} bytes; the limit is ${options.maxBytes} bytes`);
  }
  if (bytes.length === 0) throw new BadRequestError('Image is empty');

  const declared = declaredContentType.split(';')[0]!.trim().toLowerCase();
  const declaredFormat = ACCEPTED_CONTENT_TYPES[declared];
  if (!declaredFormat) {
    throw new UnsupportedMediaTypeError(`Content type ${JSON.stringify(declared.slice(0, 100))} is not accepted: send image/jpeg, image/png or application/dicom`);
  }
  const format = sniffImageFormat(bytes);
  if (!format) throw new UnsupportedMediaTypeError('The bytes are not a JPEG, PNG or DICOM Part 10 file');
  if (format !== declaredFormat) {
    throw new BadRequestError(`Image declared as ${declared} is actually a ${FORMAT_NAMES[format]} file: send the content type that matches the bytes`);
  }

  switch (format) {
    case 'png': {
      const { width, height } = readPngStructure(bytes, (w, h) => checkDimensions(w, h, limits, 'PNG image'));
      return { format, width, height };
    }
    case 'jpeg': {
      const { width, height } = readJpegHeader(bytes, (w, h) => checkDimensions(w, h, limits, 'JPEG image'));
      return { format, width, height };
    }
    case 'dicom': {
      const header = readDicomHeader(bytes, limits);
      return { format, width: header.columns, height: header.rows };
    }
  }
}

/**
 * Checks, decodes, downscales (long edge ≤ `maxLongEdge`, aspect kept) and re-encodes the image
 * as JPEG: the one form the imaging worker sends to a vision model.
 */
export function inspectImage(bytes: Uint8Array, declaredContentType: string, options: ImageIntakeOptions): InspectedImage {
  const header = checkImageHeader(bytes, declaredContentType, options);
  const limits = { maxPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, minDimension: options.minDimension ?? DEFAULT_MIN_DIMENSION };

  let rgba: Uint8Array;
  if (header.format === 'dicom') {
    const gray = decodeDicomGray(bytes, readDicomHeader(bytes, limits));
    const target = fitWithin(gray.width, gray.height, options.maxLongEdge ?? DEFAULT_MAX_LONG_EDGE);
    // Downscaling one channel before expanding to four is four times less work.
    const small = downscalePixels(gray.pixels, gray.width, gray.height, 1, target);
    return encode(header, grayToRgba(small), target, options);
  }
  if (header.format === 'png') rgba = decodePng(bytes, header);
  else rgba = decodeJpeg(bytes, header, limits.maxPixels);
  const target = fitWithin(header.width, header.height, options.maxLongEdge ?? DEFAULT_MAX_LONG_EDGE);
  return encode(header, downscalePixels(rgba, header.width, header.height, 4, target), target, options);
}

/**
 * The worker's check that the pixel data holds every row the header declares, before decoding.
 * pngjs fills the rows of a short or cut-off zlib stream with zeros and reports success, so a PNG's
 * data is inflated once to count it. jpeg-js throws on coded data that ends inside a scan, and
 * the gaps it would fill silently (missing restart intervals, a progressive scan never sent) are
 * refused by the structure walk of {@link checkImageHeader}.
 */
export async function checkPixelRows(bytes: Uint8Array, header: ImageHeader): Promise<void> {
  if (header.format === 'png') await checkPngRows(bytes);
}

function encode(header: ImageHeader, rgba: Uint8Array, size: { width: number; height: number }, options: ImageIntakeOptions): InspectedImage {
  const encoded = encodeJpegData({ data: rgba, width: size.width, height: size.height }, options.jpegQuality ?? DEFAULT_JPEG_QUALITY);
  return {
    ...header,
    normalized: { mediaType: 'image/jpeg', bytes: new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength), width: size.width, height: size.height },
  };
}

// ---------------------------------------------------------------- PNG

/** Deflate cannot shrink data more than about 1032:1; less IDAT than that cannot hold the rows. */
const DEFLATE_MAX_RATIO = 1032;

interface PngStructure {
  width: number;
  height: number;
  /** Bytes of one unfiltered row plus its filter byte. */
  rowBytes: number;
  /** The IDAT chunks' data, in order: the one zlib stream of the pixels. */
  idat: Uint8Array[];
}

/** Checks the dimensions a header declares before anything else is read. */
type DimensionCheck = (width: number, height: number) => void;

/**
 * Reads IHDR (the dimensions are checked at once) and walks every chunk to IEND, checking each
 * CRC, so a cut-off or damaged file is caught before inflating anything: linear in the file's
 * bytes, no allocation.
 */
function readPngStructure(bytes: Uint8Array, checkSize: DimensionCheck = () => {}): PngStructure {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33) throw new BadRequestError('PNG file is truncated: it ends inside its header');
  if (chunkType(bytes, 12) !== 'IHDR' || view.getUint32(8) !== 13) throw new BadRequestError('PNG file is malformed: it does not start with an IHDR chunk');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  checkSize(width, height);
  const bitDepth = bytes[24]!;
  const channels = PNG_CHANNELS[bytes[25]!];
  if (channels === undefined || ![1, 2, 4, 8, 16].includes(bitDepth)) throw new BadRequestError('PNG file is malformed: its IHDR declares an impossible colour type or bit depth');
  // pngjs inflates an interlaced image without an output bound: a zip bomb's way in.
  if (bytes[28] !== 0) throw new BadRequestError('Interlaced (Adam7) PNGs are not accepted: save the radiograph without interlacing');
  const rowBytes = Math.ceil((width * channels * bitDepth) / 8) + 1;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let offset = 8;
  for (;;) {
    if (offset + 12 > bytes.length) throw new BadRequestError('PNG file is truncated: it ends before its IEND chunk');
    const length = view.getUint32(offset);
    if (length > 0x7fffffff) throw new BadRequestError('PNG file is malformed: a chunk declares an impossible length');
    const type = chunkType(bytes, offset + 4);
    const name = type.replace(/[^A-Za-z]/g, '?');
    const end = offset + 12 + length;
    if (end > bytes.length) throw new BadRequestError(`PNG file is truncated: its ${name} chunk runs past the end of the file`);
    if (crc32(bytes.subarray(offset + 4, end - 4)) !== view.getUint32(end - 4)) {
      throw new BadRequestError(`PNG file is corrupt: the checksum (CRC) of its ${name} chunk does not match its contents`);
    }
    if (type === 'IDAT') {
      idat.push(bytes.subarray(offset + 8, end - 4));
      idatBytes += length;
    }
    offset = end;
    if (type === 'IEND') break;
  }
  if (idatBytes === 0) throw new BadRequestError('PNG file has no image data: it holds no IDAT chunk with pixel data');
  const rawBytes = rowBytes * height;
  if (idatBytes * DEFLATE_MAX_RATIO < rawBytes) {
    throw new BadRequestError(`PNG file is truncated: ${idatBytes} bytes of image data cannot hold ${width}×${height} pixels`);
  }
  return { width, height, rowBytes, idat };
}

/** Samples per pixel by PNG colour type (greyscale, RGB, palette, grey + alpha, RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}

/**
 * Inflates the pixel data only to count it, a chunk at a time (nothing kept): pngjs fills rows a
 * short or cut-off zlib stream does not hold with zeros and reports success.
 */
async function checkPngRows(bytes: Uint8Array): Promise<void> {
  const { height, rowBytes, idat } = readPngStructure(bytes);
  const expected = rowBytes * height;
  let inflated = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const inflate = createInflate();
      inflate.on('data', (chunk: Buffer) => {
        inflated += chunk.length;
        // Enough rows: the rest cannot make the image shorter, and pngjs ignores it.
        if (inflated >= expected) {
          inflate.removeAllListeners('data');
          inflate.destroy();
          resolve();
        }
      });
      inflate.once('error', reject);
      inflate.once('end', resolve);
      for (const part of idat) inflate.write(part);
      inflate.end();
    });
  } catch (error) {
    if (inflated < expected) {
      throw new BadRequestError(`PNG image data is corrupt or truncated after ${Math.floor(inflated / rowBytes)} of its ${height} rows (${describe(error)})`);
    }
  }
  if (inflated < expected) throw new BadRequestError(`PNG image data holds ${Math.floor(inflated / rowBytes)} of the ${height} rows its header declares: the file is truncated`);
}

function decodePng(bytes: Uint8Array, header: ImageHeader): Uint8Array {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    throw new BadRequestError(`PNG file could not be decoded (${describe(error)}): it is corrupt or truncated`);
  }
  if (png.width !== header.width || png.height !== header.height) throw new BadRequestError('PNG file is malformed: decoded size differs from its header');
  const data = new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength);
  // JPEG has no alpha: flatten onto black, the background of a radiograph.
  for (let i = 3; i < data.length; i += 4) {
    const alpha = data[i]!;
    if (alpha !== 255) {
      data[i - 3] = Math.round((data[i - 3]! * alpha) / 255);
      data[i - 2] = Math.round((data[i - 2]! * alpha) / 255);
      data[i - 1] = Math.round((data[i - 1]! * alpha) / 255);
      data[i] = 255;
    }
  }
  return data;
}

// ---------------------------------------------------------------- JPEG

const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Baseline, extended sequential and progressive Huffman: what the decoder handles. */
const DECODABLE_SOF = new Set([0xc0, 0xc1, 0xc2]);

interface JpegComponent {
  id: number;
  h: number;
  v: number;
  /** Spectral bands 1–63 that a first-pass AC scan (progressive) has coded. */
  acBands: Set<number>;
  dcScanned: boolean;
}

interface JpegFrame {
  width: number;
  height: number;
  progressive: boolean;
  components: JpegComponent[];
  maxH: number;
  maxV: number;
}

const truncatedJpeg = (what: string) => new BadRequestError(`JPEG file is truncated: ${what}`);
const malformedJpeg = (what: string) => new BadRequestError(`JPEG file is malformed: ${what}`);

/**
 * Walks every marker segment and every scan's entropy-coded data to the end-of-image marker: the
 * frame header must come first, each scan's restart markers must all be there, every component
 * must be fully coded, and the coded data must hold at least one bit per 8×8 block (the least any
 * Huffman JPEG spends). Linear in the file's bytes, no allocation per pixel.
 */
function readJpegHeader(bytes: Uint8Array, checkSize: DimensionCheck): { width: number; height: number } {
  let offset = 2;
  let frame: JpegFrame | undefined;
  let restartInterval = 0;
  let scans = 0;
  let codedBytes = 0;
  for (;;) {
    if (offset + 2 > bytes.length) throw truncatedJpeg('it does not end with an end-of-image marker');
    if (bytes[offset] !== 0xff) throw malformedJpeg(`expected a marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd9) break;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      offset += 2;
      continue;
    }
    if (offset + 4 > bytes.length) throw truncatedJpeg('it ends inside a segment header');
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 2) throw malformedJpeg('a segment declares an impossible length');
    const segmentEnd = offset + 2 + length;
    if (segmentEnd > bytes.length) throw truncatedJpeg('a segment runs past the end of the file');
    if (SOF_MARKERS.has(marker)) {
      if (frame) throw malformedJpeg('it has more than one frame header');
      if (!DECODABLE_SOF.has(marker)) {
        throw new BadRequestError(`JPEG coding process SOF${marker - 0xc0} (lossless, hierarchical or arithmetic) is not supported: send a baseline or progressive JPEG, or a PNG`);
      }
      frame = readJpegFrame(bytes, offset, segmentEnd, marker === 0xc2);
      checkSize(frame.width, frame.height);
    } else if (marker === 0xdd) {
      if (length < 4) throw malformedJpeg('its restart interval segment is too short');
      restartInterval = (bytes[offset + 4]! << 8) | bytes[offset + 5]!;
    } else if (marker === 0xda) {
      if (!frame) throw malformedJpeg('it has no frame header before its image data');
      const scan = readJpegScan(bytes, offset, segmentEnd, frame);
      const coded = skipEntropyCoded(bytes, segmentEnd);
      const expectedRestarts = restartInterval > 0 ? Math.ceil(scan.mcus / restartInterval) - 1 : 0;
      if (coded.restarts < expectedRestarts) {
        throw truncatedJpeg(`its image data stops after ${coded.restarts + 1} of ${expectedRestarts + 1} restart intervals`);
      }
      scans += 1;
      codedBytes += coded.bytes;
      offset = coded.end;
      continue;
    }
    offset = segmentEnd;
  }
  if (!frame) throw malformedJpeg('it has no frame header');
  if (scans === 0) throw new BadRequestError('JPEG file has no image data: it holds no start-of-scan segment');
  for (const component of frame.components) {
    const complete = frame.progressive ? component.dcScanned && component.acBands.size === 63 : component.dcScanned;
    if (!complete) throw truncatedJpeg(`the image data of its component ${component.id} is missing or incomplete`);
  }
  const blocks = frame.components.reduce((sum, c) => sum + blocksOf(frame!, c), 0);
  if (codedBytes * 8 < blocks) {
    throw truncatedJpeg(`${codedBytes} bytes of image data cannot hold ${frame.width}×${frame.height} pixels (at least ${Math.ceil(blocks / 8)} are needed)`);
  }
  return { width: frame.width, height: frame.height };
}

function readJpegFrame(bytes: Uint8Array, offset: number, segmentEnd: number, progressive: boolean): JpegFrame {
  if (offset + 10 > segmentEnd) throw truncatedJpeg('it ends inside its frame header');
  const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
  const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
  const count = bytes[offset + 9]!;
  if (count < 1 || count > 4 || offset + 10 + count * 3 > segmentEnd) throw malformedJpeg('its frame header lists an impossible set of components');
  const components: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + 10 + i * 3;
    const h = bytes[at + 1]! >> 4;
    const v = bytes[at + 1]! & 15;
    if (h < 1 || h > 4 || v < 1 || v > 4) throw malformedJpeg('a component declares impossible sampling factors');
    components.push({ id: bytes[at]!, h, v, acBands: new Set(), dcScanned: false });
  }
  return { width, height, progressive, components, maxH: Math.max(...components.map((c) => c.h)), maxV: Math.max(...components.map((c) => c.v)) };
}

/** Marks what the scan codes, and returns how many MCUs (restart units) it has. */
function readJpegScan(bytes: Uint8Array, offset: number, segmentEnd: number, frame: JpegFrame): { mcus: number } {
  const count = bytes[offset + 4] ?? 0;
  if (count < 1 || count > 4 || offset + 5 + count * 2 + 3 > segmentEnd) throw malformedJpeg('a start-of-scan segment lists an impossible set of components');
  const spectralStart = bytes[offset + 5 + count * 2]!;
  const spectralEnd = bytes[offset + 6 + count * 2]!;
  const firstPass = bytes[offset + 7 + count * 2]! >> 4 === 0;
  const members: JpegComponent[] = [];
  for (let i = 0; i < count; i++) {
    const component = frame.components.find((c) => c.id === bytes[offset + 5 + i * 2]);
    if (!component) throw malformedJpeg('a scan names a component its frame does not have');
    members.push(component);
    if (!frame.progressive || (spectralStart === 0 && firstPass)) component.dcScanned = true;
    if (frame.progressive && spectralStart > 0 && firstPass) for (let band = spectralStart; band <= Math.min(63, spectralEnd); band++) component.acBands.add(band);
  }
  // One component alone is coded block by block; several are interleaved MCU by MCU.
  if (members.length === 1) return { mcus: blocksOf(frame, members[0]!) };
  return { mcus: Math.ceil(frame.width / (8 * frame.maxH)) * Math.ceil(frame.height / (8 * frame.maxV)) };
}

function blocksOf(frame: JpegFrame, component: JpegComponent): number {
  const perLine = Math.ceil(Math.ceil((frame.width * component.h) / frame.maxH) / 8);
  const perColumn = Math.ceil(Math.ceil((frame.height * component.v) / frame.maxV) / 8);
  return perLine * perColumn;
}

/**
 * Skips a scan's entropy-coded data to the marker that ends it, counting its restart markers.
 * Coded data never holds FF except as FF 00 (a stuffed byte) or FF D0–D7 (a restart marker).
 */
function skipEntropyCoded(bytes: Uint8Array, from: number): { end: number; bytes: number; restarts: number } {
  let restarts = 0;
  let at = from;
  for (;;) {
    at = bytes.indexOf(0xff, at);
    if (at < 0 || at + 1 >= bytes.length) throw truncatedJpeg('its image data runs to the end of the file without an end-of-image marker');
    const next = bytes[at + 1]!;
    if (next === 0x00) at += 2;
    else if (next >= 0xd0 && next <= 0xd7) {
      restarts += 1;
      at += 2;
    } else if (next === 0xff) at += 1;
    else return { end: at, bytes: at - from - 2 * restarts, restarts };
  }
}

/** jpeg-js's accounting per pixel for four components, with room for blocks padding an MCU. */
const JPEG_DECODER_BYTES_PER_PIXEL = 32;

function decodeJpeg(bytes: Uint8Array, header: ImageHeader, maxPixels: number): Uint8Array {
  try {
    const decoded = decodeJpegData(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      // jpeg-js's own tally: 4 bytes a pixel per component for its blocks, 1 per component for
      // its rows, 4 for the RGBA out, so up to 24 for CMYK. The old 8 refused every 4:4:4 JPEG
      // over about 20 MP; what actually bounds memory is maxPixels, checked from the header.
      maxMemoryUsageInMB: Math.ceil((maxPixels * JPEG_DECODER_BYTES_PER_PIXEL) / 2 ** 20),
    });
    if (decoded.width !== header.width || decoded.height !== header.height) throw new Error('decoded size differs from its header');
    return decoded.data;
  } catch (error) {
    throw new BadRequestError(`JPEG file could not be decoded (${describe(error)}): it is corrupt or truncated`);
  }
}

function describe(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/[^\x20-\x7e]/g, '').slice(0, 120);
}
