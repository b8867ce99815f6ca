import { envName, variable, type ManagedEngineDescriptor } from './descriptor.js';

export const s3: ManagedEngineDescriptor = {
  engine: 's3',
  service: 'Amazon S3',
  replaces: ['s3-compatible'],
  versions: [],
  match: 'major',
  standIn: {
    dataActions: ['s3:DeleteObject', 's3:GetObject', 's3:ListBucket', 's3:PutObject'],
    accessKeyVariables: ['MINIO_ROOT_USER', 'MINIO_ROOT_PASSWORD', 'MINIO_ACCESS_KEY', 'MINIO_SECRET_KEY'],
  },
  variables: (i) => {
    const buckets = i.buckets ?? [];
    return [
      ...(buckets.length === 1
        ? variable('S3_BUCKET', [{ field: 'bucket', name: buckets[0]! }], 'the cloud name of the bucket')
        : []),
      ...buckets.flatMap((b) =>
        variable(`S3_BUCKET_${envName(b)}`, [{ field: 'bucket', name: b }], `the cloud name of bucket ${b}`),
      ),
    ];
  },
};
