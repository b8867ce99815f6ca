import { ValidationError } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

type ErrorName = ConstructorParameters<typeof ValidationError>[0];

/**
 * A CDK `ValidationError` tied to `scope`, so the message carries the construct path. The CLI
 * reports it as bad input (exit 2). aws-cdk-lib brands error names as source literals through a
 * private helper; the brand exists only at compile time, hence the cast.
 */
export function validationError(scope: IConstruct, name: string, message: string): ValidationError {
  return new ValidationError(name as unknown as ErrorName, message, scope);
}
