/**
 * The images bucket over S3 (official SDK client and presigned POST). Locally `AWS_ENDPOINT_URL_S3`
 * points the client at the local object store, which only understands path-style addressing.
 */
import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { DependencyUnavailableError } from './errors';
import type { ObjectStore, PresignedPost } from './ports';

export interface S3ObjectStoreOptions {
  /** The images bucket (`IMAGES_BUCKET`). */
  bucket: string;
  /** @default {@link s3ClientFromEnv} */
  client?: S3Client;
}

/**
 * A client for this environment: path-style when a custom endpoint is set (the local store has
 * no virtual-host DNS), and checksums only when S3 requires them (the adapter's small PUTs need
 * none, and the local store need not decode aws-chunked trailers).
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

  /**
   * A browser upload that S3 itself holds to the policy: a presigned PUT cannot limit the size
   * (S3 ignores any size parameter in its URL), a POST policy can. The signed policy names the
   * exact key, the exact Content-Type and `content-length-range` 1..maxBytes, and expires with
   * the policy; S3 refuses any other upload with it (EntityTooLarge/EntityTooSmall, AccessDenied).
   * Every form field the browser sends must be matched by a condition, which the SDK adds for
   * each field it returns (bucket, key, Content-Type, the X-Amz-* fields).
   * POST policy, its conditions and content-length-range:
   *   https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html
   * The POST Object form (file last, success_action_status, answer 204):
   *   https://docs.aws.amazon.com/AmazonS3/latest/API/RESTObjectPOST.html
   */
  async presignPost(key: string, contentType: string, maxBytes: number, expiresInSeconds: number): Promise<PresignedPost> {
    if (!Number.isInteger(maxBytes) || maxBytes <= 0) throw new RangeError(`maxBytes must be a positive integer, got ${maxBytes}`);
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds <= 0) throw new RangeError(`expiresInSeconds must be a positive integer, got ${expiresInSeconds}`);
    const { url, fields } = await createPresignedPost(this.client, {
      Bucket: this.bucket,
      Key: key,
      Fields: { 'Content-Type': contentType },
      Conditions: [['content-length-range', 1, maxBytes]],
      Expires: expiresInSeconds,
    });
    return { url, fields };
  }

  private async call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      throw new DependencyUnavailableError('The image store is unavailable; retry shortly', { retryAfterSeconds: 1, cause: error });
    }
  }
}
