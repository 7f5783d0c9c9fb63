/**
 * Area-averaging downscale: each output pixel is the mean of the source pixels it covers. For
 * radiographs this keeps fine lines (periodontal ligament spaces, thin caries) visible where
 * nearest-neighbour sampling would alias them away, and it needs no dependency.
 */

/** The size to send a vision model: long edge at most `maxLongEdge`, aspect kept, never upscaled. */
export function fitWithin(width: number, height: number, maxLongEdge: number): { width: number; height: number } {
  const longEdge = Math.max(width, height);
  if (longEdge <= maxLongEdge) return { width, height };
  const scale = maxLongEdge / longEdge;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Resizes interleaved 8-bit pixels (`channels` bytes per pixel) to `target` by box averaging.
 * Returns the source unchanged when the size already fits.
 */
export function downscalePixels(
  source: Uint8Array,
  width: number,
  height: number,
  channels: number,
  target: { width: number; height: number },
): Uint8Array {
  if (target.width === width && target.height === height) return source;
  const out = new Uint8Array(target.width * target.height * channels);
  const xScale = width / target.width;
  const yScale = height / target.height;
  const sums = new Float64Array(channels);
  for (let ty = 0; ty < target.height; ty++) {
    const y0 = Math.floor(ty * yScale);
    const y1 = Math.max(y0 + 1, Math.min(height, Math.floor((ty + 1) * yScale)));
    for (let tx = 0; tx < target.width; tx++) {
      const x0 = Math.floor(tx * xScale);
      const x1 = Math.max(x0 + 1, Math.min(width, Math.floor((tx + 1) * xScale)));
      sums.fill(0);
      for (let y = y0; y < y1; y++) {
        let index = (y * width + x0) * channels;
        for (let x = x0; x < x1; x++) {
          for (let c = 0; c < channels; c++) sums[c] = sums[c]! + source[index + c]!;
          index += channels;
        }
      }
      const area = (y1 - y0) * (x1 - x0);
      const outIndex = (ty * target.width + tx) * channels;
      for (let c = 0; c < channels; c++) out[outIndex + c] = Math.round(sums[c]! / area);
    }
  }
  return out;
}

/** Expands one-byte grayscale to RGBA, the layout the JPEG encoder takes. */
export function grayToRgba(gray: Uint8Array): Uint8Array {
  const rgba = new Uint8Array(gray.length * 4);
  for (let i = 0; i < gray.length; i++) {
    const v = gray[i]!;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
