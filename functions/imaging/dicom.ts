/**
 * A deliberately small DICOM Part 10 reader: enough for uncompressed 8- or 16-bit grayscale
 * radiographs in explicit or implicit VR little endian, windowed to 8 bits. Everything else is
 * refused with a message that names what was found.
 *
 * The input is hostile until proven otherwise: every read is bounds-checked (a short file is a
 * "truncated" 400, never a RangeError), nesting is limited, and the image size is checked against
 * the pixel cap before a single pixel is read.
 */
import { BadRequestError, PayloadTooLargeError } from '#core/errors';

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** Transfer syntaxes we refuse, by name, so the caller knows what to export instead. */
const KNOWN_TRANSFER_SYNTAXES: Record<string, string> = {
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-Hierarchical (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, Non-Hierarchical, First-Order Prediction',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 (Lossless Only)',
  '1.2.840.10008.1.2.4.202': 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** VRs whose explicit encoding has two reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const UNDEFINED_LENGTH = 0xffffffff;
const MAX_NESTING = 16;

const tag = (group: number, element: number) => ((group << 16) | element) >>> 0;
const TAGS = {
  transferSyntax: tag(0x0002, 0x0010),
  samplesPerPixel: tag(0x0028, 0x0002),
  photometric: tag(0x0028, 0x0004),
  numberOfFrames: tag(0x0028, 0x0008),
  rows: tag(0x0028, 0x0010),
  columns: tag(0x0028, 0x0011),
  bitsAllocated: tag(0x0028, 0x0100),
  bitsStored: tag(0x0028, 0x0101),
  pixelRepresentation: tag(0x0028, 0x0103),
  windowCenter: tag(0x0028, 0x1050),
  windowWidth: tag(0x0028, 0x1051),
  rescaleIntercept: tag(0x0028, 0x1052),
  rescaleSlope: tag(0x0028, 0x1053),
  pixelData: tag(0x7fe0, 0x0010),
  item: tag(0xfffe, 0xe000),
  itemDelimitation: tag(0xfffe, 0xe00d),
  sequenceDelimitation: tag(0xfffe, 0xe0dd),
} as const;

export function isDicomPart10(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** Image attributes read from the header, before any pixel is touched. */
export interface DicomHeader {
  transferSyntaxUid: string;
  rows: number;
  columns: number;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  signed: boolean;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  window?: { center: number; width: number };
  rescale: { slope: number; intercept: number };
  /** Where the first frame's pixels start and how many bytes the element holds. */
  pixelDataOffset: number;
  pixelDataLength: number;
}

export interface GrayImage {
  width: number;
  height: number;
  /** One byte per pixel, 0 = black. */
  pixels: Uint8Array;
}

interface Element {
  tag: number;
  vr: string | undefined;
  valueOffset: number;
  length: number;
  next: number;
}

class DicomReader {
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) {
      throw new BadRequestError(`DICOM file is truncated: ${what} runs past the end of the file (${this.bytes.length} bytes)`);
    }
  }

  u16(offset: number): number {
    this.need(offset, 2, 'an element header');
    return this.view.getUint16(offset, true);
  }

  u32(offset: number): number {
    this.need(offset, 4, 'an element header');
    return this.view.getUint32(offset, true);
  }

  text(offset: number, length: number): string {
    this.need(offset, length, 'an element value');
    let out = '';
    for (let i = 0; i < length; i++) out += String.fromCharCode(this.bytes[offset + i]!);
    return out.replace(/[\0 ]+$/, '').trim();
  }

  element(offset: number, explicit: boolean): Element {
    const group = this.u16(offset);
    const elementNumber = this.u16(offset + 2);
    const t = tag(group, elementNumber);
    // Item and delimiter tags carry no VR in any transfer syntax.
    if (group === 0xfffe) {
      const length = this.u32(offset + 4);
      return { tag: t, vr: undefined, valueOffset: offset + 8, length, next: offset + 8 };
    }
    if (explicit) {
      const vr = this.text(offset + 4, 2);
      if (LONG_VRS.has(vr)) {
        const length = this.u32(offset + 8);
        return { tag: t, vr, valueOffset: offset + 12, length, next: this.after(offset + 12, length, t) };
      }
      const length = this.u16(offset + 6);
      return { tag: t, vr, valueOffset: offset + 8, length, next: this.after(offset + 8, length, t) };
    }
    const length = this.u32(offset + 4);
    return { tag: t, vr: undefined, valueOffset: offset + 8, length, next: this.after(offset + 8, length, t) };
  }

  private after(valueOffset: number, length: number, t: number): number {
    if (length === UNDEFINED_LENGTH) return valueOffset; // the caller skips the sequence
    this.need(valueOffset, length, `element ${formatTag(t)}`);
    return valueOffset + length;
  }

  /** Skips a sequence of undefined length (items until the sequence delimiter); returns the offset after it. */
  skipSequence(offset: number, explicit: boolean, depth: number): number {
    if (depth > MAX_NESTING) throw new BadRequestError(`DICOM file nests sequences deeper than ${MAX_NESTING} levels`);
    let cursor = offset;
    for (;;) {
      const item = this.element(cursor, explicit);
      if (item.tag === TAGS.sequenceDelimitation) return item.valueOffset;
      if (item.tag !== TAGS.item) throw new BadRequestError(`DICOM file is malformed: expected a sequence item at byte ${cursor}, found ${formatTag(item.tag)}`);
      if (item.length !== UNDEFINED_LENGTH) {
        this.need(item.valueOffset, item.length, 'a sequence item');
        cursor = item.valueOffset + item.length;
        continue;
      }
      cursor = this.skipItem(item.valueOffset, explicit, depth + 1);
    }
  }

  private skipItem(offset: number, explicit: boolean, depth: number): number {
    let cursor = offset;
    for (;;) {
      const element = this.element(cursor, explicit);
      if (element.tag === TAGS.itemDelimitation) return element.valueOffset;
      cursor = element.length === UNDEFINED_LENGTH ? this.skipSequence(element.valueOffset, explicit, depth + 1) : element.next;
    }
  }
}

/** Reads the header of a Part 10 file and checks it is an image we can show, before any pixel is read. */
export function readDicomHeader(bytes: Uint8Array, limits: { maxPixels: number; minDimension: number }): DicomHeader {
  if (!isDicomPart10(bytes)) throw new BadRequestError('Not a DICOM Part 10 file: the DICM marker at byte 128 is missing');
  const reader = new DicomReader(bytes);

  // File meta information (group 0002) is always explicit VR little endian.
  let cursor = 132;
  let transferSyntaxUid: string | undefined;
  while (cursor + 2 <= bytes.length && reader.u16(cursor) === 0x0002) {
    const element = reader.element(cursor, true);
    if (element.length === UNDEFINED_LENGTH) throw new BadRequestError('DICOM file meta information has an element of undefined length');
    if (element.tag === TAGS.transferSyntax) transferSyntaxUid = reader.text(element.valueOffset, element.length);
    cursor = element.next;
  }
  if (!transferSyntaxUid) throw new BadRequestError('DICOM file has no transfer syntax (0002,0010) in its file meta information');
  if (transferSyntaxUid !== EXPLICIT_VR_LITTLE_ENDIAN && transferSyntaxUid !== IMPLICIT_VR_LITTLE_ENDIAN) {
    const name = KNOWN_TRANSFER_SYNTAXES[transferSyntaxUid] ?? 'an unsupported transfer syntax';
    throw new BadRequestError(
      `DICOM transfer syntax ${transferSyntaxUid.slice(0, 64)} (${name}) is not supported: send uncompressed explicit or implicit VR little endian (1.2.840.10008.1.2.1 or 1.2.840.10008.1.2), or a PNG/JPEG export`,
    );
  }
  const explicit = transferSyntaxUid === EXPLICIT_VR_LITTLE_ENDIAN;

  const values = new Map<number, Element>();
  let pixelData: Element | undefined;
  while (cursor < bytes.length) {
    const element = reader.element(cursor, explicit);
    if (element.tag === TAGS.pixelData) {
      pixelData = element;
      break;
    }
    if (element.length === UNDEFINED_LENGTH) {
      cursor = reader.skipSequence(element.valueOffset, explicit, 1);
      continue;
    }
    values.set(element.tag, element);
    cursor = element.next;
  }

  const uint = (t: number, name: string): number => {
    const element = values.get(t);
    if (!element || element.length < 2) throw new BadRequestError(`DICOM file has no ${name} ${formatTag(t)}`);
    return reader.u16(element.valueOffset);
  };
  const decimal = (t: number): number | undefined => {
    const element = values.get(t);
    if (!element || element.length === 0) return undefined;
    const value = Number.parseFloat(reader.text(element.valueOffset, element.length).split('\\')[0] ?? '');
    return Number.isFinite(value) ? value : undefined;
  };

  const samplesPerPixel = values.has(TAGS.samplesPerPixel) ? uint(TAGS.samplesPerPixel, 'samples per pixel') : 1;
  const photometricElement = values.get(TAGS.photometric);
  const photometric = photometricElement ? reader.text(photometricElement.valueOffset, photometricElement.length) : '';
  if (samplesPerPixel !== 1 || (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2')) {
    throw new BadRequestError(
      `DICOM image is ${photometric.slice(0, 16) || 'of unknown photometric interpretation'} with ${samplesPerPixel} samples per pixel: only grayscale (MONOCHROME1/MONOCHROME2) radiographs are supported`,
    );
  }
  const rows = uint(TAGS.rows, 'Rows');
  const columns = uint(TAGS.columns, 'Columns');
  const bitsAllocated = uint(TAGS.bitsAllocated, 'Bits Allocated');
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw new BadRequestError(`DICOM image has ${bitsAllocated} bits allocated per pixel: only 8 and 16 are supported`);
  const bitsStored = values.has(TAGS.bitsStored) ? uint(TAGS.bitsStored, 'Bits Stored') : bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw new BadRequestError(`DICOM image has ${bitsStored} bits stored in ${bitsAllocated} allocated`);
  const signed = values.has(TAGS.pixelRepresentation) ? uint(TAGS.pixelRepresentation, 'Pixel Representation') === 1 : false;

  checkDimensions(columns, rows, limits, 'DICOM image');

  if (!pixelData) throw new BadRequestError('DICOM file has no pixel data (7FE0,0010): it is truncated or holds no image');
  if (pixelData.length === UNDEFINED_LENGTH) throw new BadRequestError('DICOM pixel data is encapsulated (compressed), which this transfer syntax does not allow');
  const frameBytes = rows * columns * (bitsAllocated / 8);
  if (pixelData.length < frameBytes) {
    throw new BadRequestError(`DICOM pixel data holds ${pixelData.length} bytes, but ${columns}×${rows} at ${bitsAllocated} bits needs ${frameBytes}`);
  }

  const center = decimal(TAGS.windowCenter);
  const width = decimal(TAGS.windowWidth);
  return {
    transferSyntaxUid,
    rows,
    columns,
    bitsAllocated,
    bitsStored,
    signed,
    photometric,
    window: center !== undefined && width !== undefined && width >= 1 ? { center, width } : undefined,
    rescale: { slope: decimal(TAGS.rescaleSlope) ?? 1, intercept: decimal(TAGS.rescaleIntercept) ?? 0 },
    pixelDataOffset: pixelData.valueOffset,
    pixelDataLength: pixelData.length,
  };
}

/**
 * Turns the first frame into 8-bit grayscale: stored values → modality values (rescale) →
 * the file's window (DICOM's linear VOI function) or, without one, the image's own min–max;
 * MONOCHROME1 is inverted so that 0 is always black.
 */
export function decodeDicomGray(bytes: Uint8Array, header: DicomHeader): GrayImage {
  const count = header.rows * header.columns;
  const view = new DataView(bytes.buffer, bytes.byteOffset + header.pixelDataOffset, count * (header.bitsAllocated / 8));
  const values = new Float64Array(count);
  const storedMask = header.bitsStored >= 32 ? 0xffffffff : 2 ** header.bitsStored - 1;
  const signBit = 2 ** (header.bitsStored - 1);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < count; i++) {
    let stored = header.bitsAllocated === 8 ? view.getUint8(i) : view.getUint16(i * 2, true);
    stored &= storedMask;
    if (header.signed && stored >= signBit) stored -= 2 * signBit;
    const value = stored * header.rescale.slope + header.rescale.intercept;
    values[i] = value;
    if (value < min) min = value;
    if (value > max) max = value;
  }

  const pixels = new Uint8Array(count);
  const invert = header.photometric === 'MONOCHROME1';
  if (header.window) {
    const { center, width } = header.window;
    const low = center - 0.5 - (width - 1) / 2;
    const high = center - 0.5 + (width - 1) / 2;
    for (let i = 0; i < count; i++) {
      const x = values[i]!;
      let y: number;
      if (x <= low) y = 0;
      else if (x > high) y = 255;
      else y = Math.round(((x - (center - 0.5)) / Math.max(width - 1, 1) + 0.5) * 255);
      pixels[i] = invert ? 255 - y : y;
    }
  } else {
    const range = max - min;
    for (let i = 0; i < count; i++) {
      const y = range > 0 ? Math.round(((values[i]! - min) / range) * 255) : 0;
      pixels[i] = invert ? 255 - y : y;
    }
  }
  return { width: header.columns, height: header.rows, pixels };
}

/** The size checks every format shares: too small to read, or over the pixel cap (the decompression-bomb guard). */
export function checkDimensions(width: number, height: number, limits: { maxPixels: number; minDimension: number }, what: string): void {
  if (width < limits.minDimension || height < limits.minDimension) {
    throw new BadRequestError(`${what} is ${width}×${height} pixels; at least ${limits.minDimension}×${limits.minDimension} is needed to read it`);
  }
  if (width * height > limits.maxPixels) {
    throw new PayloadTooLargeError(
      `${what} declares ${width}×${height} = ${width * height} pixels; the limit is ${limits.maxPixels} pixels (${+(limits.maxPixels / 1e6).toFixed(2)} MP, e.g. ${Math.floor(Math.sqrt(limits.maxPixels))}×${Math.floor(Math.sqrt(limits.maxPixels))})`,
    );
  }
}

function formatTag(t: number): string {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
  return `(${hex(t >>> 16)},${hex(t & 0xffff)})`;
}
