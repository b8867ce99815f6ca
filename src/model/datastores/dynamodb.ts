import { envName, variable, type ManagedEngineDescriptor } from './descriptor.js';

export const dynamodb: ManagedEngineDescriptor = {
  engine: 'dynamodb',
  service: 'Amazon DynamoDB',
  replaces: ['dynamodb-local'],
  versions: [],
  match: 'major',
  standIn: {
    dataActions: [
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:DescribeTable',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:UpdateItem',
    ],
    accessKeyVariables: [],
  },
  variables: (i) => {
    const tables = i.tables ?? [];
    return [
      ...(tables.length === 1
        ? variable(
            'DYNAMODB_TABLE',
            [{ field: 'table', name: tables[0]!.name }],
            'the cloud name of the table',
          )
        : []),
      ...tables.flatMap((t) =>
        variable(
          `DYNAMODB_TABLE_${envName(t.name)}`,
          [{ field: 'table', name: t.name }],
          `the cloud name of table ${t.name}`,
        ),
      ),
    ];
  },
};
