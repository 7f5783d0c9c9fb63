/**
 * The images bucket over S3 (official SDK client and presigner). Locally `AWS_ENDPOINT_URL_S3`
 * points the client at the local object store, which only understands path-style addressing.
 */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DependencyUnavailableError } from './errors';
import type { ObjectStore } from './ports';

/**
 * Query parameter carrying the upload limit in presigned PUT URLs. S3 ignores query parameters
 * that start with `x-`; the local object store enforces it. In AWS the API function checks the
 * object's size again before it queues a job.
 */
export const MAX_BYTES_QUERY = 'x-smartdental-max-bytes';

export interface S3ObjectStoreOptions {
  /** The images bucket (`IMAGES_BUCKET`). */
  bucket: string;
  /** @default {@link s3ClientFromEnv} */
  client?: S3Client;
}

/**
 * A client for this environment: path-style when a custom endpoint is set (the local store has
 * no virtual-host DNS), and checksums only when S3 requires them, because SDK-computed checksums
 * in a presigned PUT would pin the URL to an empty body.
 */
export function s3ClientFromEnv(env: NodeJS.ProcessEnv = process.env): S3Client {
  return new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3), requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
}

export class S3ObjectStore implements ObjectStore {
  private readonly bucket: string;
  private readonly client: S3Client;

  constructor(options: S3ObjectStoreOptions) {
    if (!options.bucket) throw new Error('S3ObjectStore needs the bucket name (IMAGES_BUCKET)');
    this.bucket = options.bucket;
    this.client = options.client ?? s3ClientFromEnv();
  }

  async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
    await this.call(() => this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType })));
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      const output = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      if (error instanceof NoSuchKey || (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404)) return undefined;
      throw new DependencyUnavailableError('The image store could not be read; retry shortly', { retryAfterSeconds: 1, cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    await this.call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })));
  }

  async presignPut(key: string, contentType: string, maxBytes: number, expiresInSeconds: number): Promise<string> {
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: contentType });
    // Added before signing, so the limit is part of the signed URL and cannot be edited.
    command.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { query?: Record<string, string> };
        request.query = { ...request.query, [MAX_BYTES_QUERY]: String(maxBytes) };
        return next(args);
      },
      { step: 'build', name: 'smartdentalMaxBytesQuery' },
    );
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds, signableHeaders: new Set(['content-type']) });
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new DependencyUnavailableError('The image store is unavailable; retry shortly', { retryAfterSeconds: 1, cause: error });
    }
  }
}
