/**
 * Where radiographs live in the images bucket, and the one read the API function must bound.
 *
 *   uploads/<practiceId>/<32 hex>.<ext>   posted by the front end under a presigned POST policy
 *   images/<practiceId>/<jobId>.<ext>     an inline image, stored as sent
 *
 * The extension carries the declared content type, so a job needs no metadata lookup to know
 * what the bytes claim to be (the bytes are still checked against it). The practice id in the
 * key is what scopes an upload: a key of another practice is answered like a missing one.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, NoSuchKey, S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { DependencyUnavailableError, PayloadTooLargeError } from '#core/errors';
import type { ImageContentType } from './schemas';

const EXTENSION_OF: Readonly<Record<ImageContentType, string>> = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/dicom': 'dcm' };
const CONTENT_TYPE_OF: Readonly<Record<string, ImageContentType>> = { jpg: 'image/jpeg', png: 'image/png', dcm: 'application/dicom' };

export function uploadKeyFor(practiceId: string, contentType: ImageContentType): string {
  return `uploads/${practiceId}/${randomUUID().replace(/-/g, '')}.${EXTENSION_OF[contentType]}`;
}

export function imageKeyFor(practiceId: string, jobId: string, contentType: ImageContentType): string {
  return `images/${practiceId}/${jobId}.${EXTENSION_OF[contentType]}`;
}

/** True only for a key this API handed to that practice (not a prefix trick, not another practice's). */
export function isUploadKeyOf(key: string, practiceId: string): boolean {
  const match = /^uploads\/([A-Za-z0-9_-]{1,64})\/[0-9a-f]{32}\.(jpg|png|dcm)$/.exec(key);
  return match !== null && match[1] === practiceId;
}

/** The content type an image key declares, from its extension; undefined for a key we did not make. */
export function contentTypeOfKey(key: string): ImageContentType | undefined {
  const extension = /\.([a-z]+)$/.exec(key)?.[1];
  return extension === undefined ? undefined : CONTENT_TYPE_OF[extension];
}

/**
 * Reads an object, refusing to hold more than `maxBytes` of it in memory. The POST policy already
 * holds uploads to their size in S3; this is the second line, for any object that got there
 * another way: the declared length is checked before the body is read, and the body is counted as it streams.
 */
export async function readObjectBounded(client: S3Client, bucket: string, key: string, maxBytes: number): Promise<Uint8Array | undefined> {
  let output;
  try {
    output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
    throw new DependencyUnavailableError('The image store could not be read; retry shortly', { retryAfterSeconds: 1, cause: error });
  }
  const body = output.Body as (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
  if (!body) return new Uint8Array();
  const tooLarge = (size: number) => new PayloadTooLargeError(`The uploaded image is over ${maxBytes} bytes (at least ${size}); upload a smaller export`);
  if (output.ContentLength !== undefined && output.ContentLength > maxBytes) {
    body.destroy?.();
    throw tooLarge(output.ContentLength);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.byteLength;
      if (size > maxBytes) {
        body.destroy?.();
        throw tooLarge(size);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof PayloadTooLargeError) throw error;
    throw new DependencyUnavailableError('The image store could not be read; retry shortly', { retryAfterSeconds: 1, cause: error });
  }
  return new Uint8Array(Buffer.concat(chunks));
}
