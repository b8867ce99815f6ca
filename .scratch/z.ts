import { appExtensionSchema } from '../src/model/extension.js';
console.log(JSON.stringify(appExtensionSchema.parse({ environments: { prod: { aws: { domain: 'a.example.com' } } } })));
