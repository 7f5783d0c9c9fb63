/**
 * Runs the imaging worker's image path (structure walk, row count, decode, downscale, re-encode)
 * on one file in a process of its own and prints what came out and the process's peak RSS, so a
 * test can hold the decode against the worker's memory. Not a test file:
 * `node --import tsx decode-peak.ts <file> <content type>`.
 */
import { readFileSync } from 'node:fs';
import { checkImageHeader, checkPixelRows, inspectImage } from '../../../functions/imaging/image-intake';
import { IMAGING_MAX_PIXELS } from '../../../functions/imaging/job-intake';
import { UPLOAD_MAX_BYTES } from '../../../functions/imaging/schemas';

async function main(): Promise<void> {
  const [file, contentType] = process.argv.slice(2);
  const bytes = new Uint8Array(readFileSync(file!));
  const options = { maxBytes: UPLOAD_MAX_BYTES, maxPixels: IMAGING_MAX_PIXELS };
  const rssBefore = process.resourceUsage().maxRSS;
  await checkPixelRows(bytes, checkImageHeader(bytes, contentType!, options));
  const inspected = inspectImage(bytes, contentType!, options);
  const { width, height, normalized } = inspected;
  process.stdout.write(
    JSON.stringify({ width, height, normalized: { width: normalized.width, height: normalized.height }, startRssMb: Math.round(rssBefore / 1024), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }),
  );
}

void main();
