import { ServiceDiscoveryClient, CreateHttpNamespaceCommand, GetOperationCommand } from '@aws-sdk/client-servicediscovery';
const sd = new ServiceDiscoveryClient({ region: 'us-east-1' });
const op = await sd.send(new CreateHttpNamespaceCommand({ Name: 'web-api.internal' }));
const o = await sd.send(new GetOperationCommand({ OperationId: op.OperationId! }));
const id = o.Operation!.Targets!.NAMESPACE!;
console.log(`arn:aws:servicediscovery:us-east-1:123456789012:namespace/${id}`);
