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

/** Upper bound on decoded pixels: the decompression-bomb guard (50 MP ≈ 200 MB of RGBA). */
export const DEFAULT_MAX_PIXELS = 50_000_000;
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
      const { width, height } = readPngHeader(bytes);
      checkDimensions(width, height, limits, 'PNG image');
      return { format, width, height };
    }
    case 'jpeg': {
      const { width, height } = readJpegHeader(bytes);
      checkDimensions(width, height, limits, 'JPEG image');
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

function encode(header: ImageHeader, rgba: Uint8Array, size: { width: number; height: number }, options: ImageIntakeOptions): InspectedImage {
  const encoded = encodeJpegData({ data: rgba, width: size.width, height: size.height }, options.jpegQuality ?? DEFAULT_JPEG_QUALITY);
  return {
    ...header,
    normalized: { mediaType: 'image/jpeg', bytes: new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength), width: size.width, height: size.height },
  };
}

// ---------------------------------------------------------------- PNG

/** Reads IHDR and walks the chunk list to IEND, so a cut-off file is caught before inflating anything. */
function readPngHeader(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33) throw new BadRequestError('PNG file is truncated: it ends inside its header');
  if (chunkType(bytes, 12) !== 'IHDR' || view.getUint32(8) !== 13) throw new BadRequestError('PNG file is malformed: it does not start with an IHDR chunk');
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  // pngjs inflates an interlaced image without an output bound: a zip bomb's way in.
  if (bytes[28] !== 0) throw new BadRequestError('Interlaced (Adam7) PNGs are not accepted: save the radiograph without interlacing');
  let offset = 8;
  for (;;) {
    if (offset + 12 > bytes.length) throw new BadRequestError('PNG file is truncated: it ends before its IEND chunk');
    const length = view.getUint32(offset);
    if (length > 0x7fffffff) throw new BadRequestError('PNG file is malformed: a chunk declares an impossible length');
    const type = chunkType(bytes, offset + 4);
    offset += 12 + length;
    if (offset > bytes.length) throw new BadRequestError(`PNG file is truncated: its ${type.replace(/[^A-Za-z]/g, '?')} chunk runs past the end of the file`);
    if (type === 'IEND') return { width, height };
  }
}

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
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

/** Walks the marker segments to the frame header and checks the file ends with EOI. */
function readJpegHeader(bytes: Uint8Array): { width: number; height: number } {
  let offset = 2;
  let frame: { width: number; height: number } | undefined;
  while (!frame) {
    if (offset + 4 > bytes.length) throw new BadRequestError('JPEG file is truncated: it ends before its frame header');
    if (bytes[offset] !== 0xff) throw new BadRequestError(`JPEG file is malformed: expected a marker at byte ${offset}`);
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw new BadRequestError('JPEG file is malformed: it has no frame header before its image data');
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (length < 2) throw new BadRequestError('JPEG file is malformed: a segment declares an impossible length');
    if (SOF_MARKERS.has(marker)) {
      if (offset + 9 > bytes.length) throw new BadRequestError('JPEG file is truncated: it ends inside its frame header');
      if (!DECODABLE_SOF.has(marker)) {
        throw new BadRequestError(`JPEG coding process SOF${marker - 0xc0} (lossless, hierarchical or arithmetic) is not supported: send a baseline or progressive JPEG, or a PNG`);
      }
      frame = { height: (bytes[offset + 5]! << 8) | bytes[offset + 6]!, width: (bytes[offset + 7]! << 8) | bytes[offset + 8]! };
    }
    offset += 2 + length;
  }
  if (!endsWithEoi(bytes, offset)) throw new BadRequestError('JPEG file is truncated: it does not end with an end-of-image marker');
  return frame;
}

/** EOI near the end (some writers pad after it); entropy-coded data never contains FF D9. */
function endsWithEoi(bytes: Uint8Array, after: number): boolean {
  const from = Math.max(after, bytes.length - 4096);
  for (let i = bytes.length - 2; i >= from; i--) {
    if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  }
  return false;
}

function decodeJpeg(bytes: Uint8Array, header: ImageHeader, maxPixels: number): Uint8Array {
  try {
    const decoded = decodeJpegData(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.ceil((maxPixels * 8) / 1e6),
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
