/**
 * The connection settings every S3-backed store takes (SPEC §6 "Object storage"; runnable's
 * `minio` stores name them so): `bucket` (with an optional prefix, `team-bucket/runnable`),
 * `endpoint_url` (absent: AWS), `region`, `force_path_style`, and `aws_access_key_id` /
 * `aws_secret_access_key` (absent: the AWS SDK's own default credential chain: environment,
 * shared profile, web identity, container and instance metadata).
 */
import * as z from 'zod';

/** S3 bucket names: 3-63 characters, lowercase letters, digits, dots and hyphens. */
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export const s3ConnectionShape = {
  bucket: z
    .string({ error: "'bucket' is required: the bucket (optionally bucket/prefix) that holds the objects" })
    .min(1, "'bucket' is required")
    .refine((b) => BUCKET_RE.test(b.split('/')[0]!), { message: "'bucket' must start with a bucket name (3-63 characters: a-z, 0-9, '.', '-'), optionally followed by /prefix" })
    .refine((b) => !b.split('/').slice(1).some((seg) => seg === '.' || seg === '..'), { message: "the prefix in 'bucket' may not contain '.' or '..' segments" }),
  endpoint_url: z.string().url().optional(),
  region: z.string().min(1).optional(),
  force_path_style: z.boolean().optional(),
  aws_access_key_id: z.string().min(1).optional(),
  aws_secret_access_key: z.string().min(1).optional(),
};

export const s3ConnectionConfig = z
  .strictObject(s3ConnectionShape)
  .refine((c) => !c.aws_access_key_id === !c.aws_secret_access_key, {
    message: "give both 'aws_access_key_id' and 'aws_secret_access_key', or neither (then the standard AWS credential chain is used)",
    path: ['aws_access_key_id'],
  });

export type S3ConnectionConfig = z.infer<typeof s3ConnectionConfig>;

/**
 * runnable's `minio` and `chunked-minio` are aliases of the s3 types here (SPEC §6: an absent
 * `endpoint_url` is AWS), where runnable assumes a MinIO on localhost:9002 with its stock keys:
 * when such a bucket cannot be used, the error says so.
 */
export function aliasHint(type: string, c: S3ConnectionConfig): string | undefined {
  if ((type !== 'minio' && type !== 'chunked-minio') || c.endpoint_url) return undefined;
  return `type '${type}' is an alias of '${type.replace('minio', 's3')}' here: without 'endpoint_url' it means AWS S3, not runnable's default MinIO at http://localhost:9002; set endpoint_url and the credentials`;
}

/** Where a store's objects live: a bucket and a key prefix ('' or ending in '/'). */
export interface S3Place {
  bucket: string;
  prefix: string;
}

/** `team-bucket/runnable/` → {bucket: team-bucket, prefix: 'runnable/'} (slashes around the prefix are tidied). */
export function splitBucket(bucket: string): S3Place {
  const [name, ...rest] = bucket.split('/');
  const prefix = rest.filter(Boolean).join('/');
  return { bucket: name!, prefix: prefix ? `${prefix}/` : '' };
}

/** The config keys that hold credentials: their values never reach a run log, log or message. */
export const CREDENTIAL_KEYS = ['aws_access_key_id', 'aws_secret_access_key'] as const;
