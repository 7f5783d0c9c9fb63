/**
 * A small DICOM Part 10 writer for tests: enough to build the files the imaging intake must
 * accept (8/16-bit grayscale, explicit or implicit VR little endian, with or without a window,
 * with a nested sequence to skip) and the ones it must refuse (compressed, colour, truncated).
 */
export interface DicomOptions {
  rows: number;
  columns: number;
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  /** Stored values, row by row; defaults to a horizontal ramp. */
  pixels?: ArrayLike<number>;
  signed?: boolean;
  photometric?: string;
  samplesPerPixel?: number;
  transferSyntaxUid?: string;
  /** Write the dataset in explicit VR (default follows the transfer syntax). */
  explicit?: boolean;
  window?: { center: number; width: number };
  rescale?: { slope: number; intercept: number };
  /** Put a sequence of undefined length with a nested (0028,0010) before the image attributes. */
  withSequence?: boolean;
  /** Leave out the pixel data element. */
  withoutPixelData?: boolean;
}

export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';

class ByteWriter {
  private readonly parts: number[] = [];
  u8(...values: number[]): this {
    this.parts.push(...values.map((v) => v & 0xff));
    return this;
  }
  u16(value: number): this {
    return this.u8(value, value >> 8);
  }
  u32(value: number): this {
    return this.u8(value, value >> 8, value >> 16, value >>> 24);
  }
  ascii(text: string): this {
    return this.u8(...[...text].map((c) => c.charCodeAt(0)));
  }
  bytes(values: Uint8Array): this {
    for (const v of values) this.parts.push(v);
    return this;
  }
  toUint8Array(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

const LONG_VRS = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

function pad(value: Uint8Array, padByte: number): Uint8Array {
  if (value.length % 2 === 0) return value;
  const out = new Uint8Array(value.length + 1);
  out.set(value);
  out[value.length] = padByte;
  return out;
}

function element(w: ByteWriter, explicit: boolean, group: number, el: number, vr: string, value: Uint8Array, undefinedLength = false): void {
  w.u16(group).u16(el);
  const length = undefinedLength ? 0xffffffff : value.length;
  if (explicit) {
    w.ascii(vr);
    if (LONG_VRS.has(vr)) w.u16(0).u32(length);
    else w.u16(length);
  } else {
    w.u32(length);
  }
  w.bytes(value);
}

const text = (s: string) => pad(Uint8Array.from([...s].map((c) => c.charCodeAt(0))), s.endsWith('\0') ? 0 : 0x20);
const uid = (s: string) => pad(Uint8Array.from([...s].map((c) => c.charCodeAt(0))), 0);
const us = (n: number) => Uint8Array.from([n & 0xff, (n >> 8) & 0xff]);

export function buildDicom(options: DicomOptions): Uint8Array {
  const transferSyntaxUid = options.transferSyntaxUid ?? EXPLICIT_LE;
  const explicit = options.explicit ?? transferSyntaxUid !== IMPLICIT_LE;
  const bitsAllocated = options.bitsAllocated ?? 16;
  const w = new ByteWriter();
  w.bytes(new Uint8Array(128)).ascii('DICM');

  // File meta: always explicit VR little endian.
  const meta = new ByteWriter();
  element(meta, true, 0x0002, 0x0001, 'OB', Uint8Array.from([0, 1]));
  element(meta, true, 0x0002, 0x0002, 'UI', uid('1.2.840.10008.5.1.4.1.1.1.1'));
  element(meta, true, 0x0002, 0x0010, 'UI', uid(transferSyntaxUid));
  const metaBytes = meta.toUint8Array();
  element(w, true, 0x0002, 0x0000, 'UL', Uint8Array.from([metaBytes.length & 0xff, (metaBytes.length >> 8) & 0xff, 0, 0]));
  w.bytes(metaBytes);

  element(w, explicit, 0x0008, 0x0060, 'CS', text('IO'));
  if (options.withSequence) {
    // A sequence of undefined length holding an item of undefined length with a decoy Rows value.
    element(w, explicit, 0x0008, 0x1140, 'SQ', new Uint8Array(0), true);
    w.u16(0xfffe).u16(0xe000).u32(0xffffffff);
    element(w, explicit, 0x0028, 0x0010, 'US', us(7));
    w.u16(0xfffe).u16(0xe00d).u32(0);
    w.u16(0xfffe).u16(0xe000).u32(10);
    element(w, explicit, 0x0028, 0x0011, 'US', us(7));
    w.u16(0xfffe).u16(0xe0dd).u32(0);
  }
  element(w, explicit, 0x0028, 0x0002, 'US', us(options.samplesPerPixel ?? 1));
  element(w, explicit, 0x0028, 0x0004, 'CS', text(options.photometric ?? 'MONOCHROME2'));
  element(w, explicit, 0x0028, 0x0010, 'US', us(options.rows));
  element(w, explicit, 0x0028, 0x0011, 'US', us(options.columns));
  element(w, explicit, 0x0028, 0x0100, 'US', us(bitsAllocated));
  element(w, explicit, 0x0028, 0x0101, 'US', us(options.bitsStored ?? (bitsAllocated === 16 ? 12 : 8)));
  element(w, explicit, 0x0028, 0x0102, 'US', us((options.bitsStored ?? (bitsAllocated === 16 ? 12 : 8)) - 1));
  element(w, explicit, 0x0028, 0x0103, 'US', us(options.signed ? 1 : 0));
  if (options.window) {
    element(w, explicit, 0x0028, 0x1050, 'DS', text(`${options.window.center}\\${options.window.center + 1}`));
    element(w, explicit, 0x0028, 0x1051, 'DS', text(String(options.window.width)));
  }
  if (options.rescale) {
    element(w, explicit, 0x0028, 0x1052, 'DS', text(String(options.rescale.intercept)));
    element(w, explicit, 0x0028, 0x1053, 'DS', text(String(options.rescale.slope)));
  }
  if (!options.withoutPixelData) {
    const count = options.rows * options.columns;
    const bytesPerPixel = bitsAllocated / 8;
    const data = new Uint8Array(count * bytesPerPixel);
    const max = 2 ** (options.bitsStored ?? (bitsAllocated === 16 ? 12 : 8)) - 1;
    for (let i = 0; i < count; i++) {
      const value = options.pixels ? options.pixels[i]! : Math.round(((i % options.columns) / Math.max(1, options.columns - 1)) * max);
      if (bytesPerPixel === 1) data[i] = value & 0xff;
      else {
        data[i * 2] = value & 0xff;
        data[i * 2 + 1] = (value >> 8) & 0xff;
      }
    }
    element(w, explicit, 0x7fe0, 0x0010, bitsAllocated === 16 ? 'OW' : 'OB', pad(data, 0));
  }
  return w.toUint8Array();
}
