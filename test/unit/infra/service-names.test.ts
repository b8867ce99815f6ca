import { describe, expect, it } from 'vitest';
import { portName, secretVariableName } from '../../../src/infra/service.js';

describe('names ECS accepts', () => {
  it('port mapping names are lowercase letters, digits, _ and - only', () => {
    expect(portName('api', 5000)).toBe('api-5000');
    expect(portName('My.Service', 80)).toBe('my-service-80');
    expect(portName('x'.repeat(100), 8080)).toHaveLength(64);
    expect(portName('x'.repeat(100), 8080)).toMatch(/-8080$/);
  });

  it('compose secrets become upper-case variable names', () => {
    expect(secretVariableName('db_password')).toBe('DB_PASSWORD');
    expect(secretVariableName('api-key.v2')).toBe('API_KEY_V2');
  });
});
