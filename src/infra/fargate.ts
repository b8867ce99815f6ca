/**
 * Fargate task sizes: the model decides them (src/model/fargate-size.ts), since a size Fargate
 * cannot give is refused there, located; the infrastructure uses the same table.
 */
export { DEFAULT_FARGATE_SIZE, fargateSize, type FargateSize } from '../model/fargate-size.js';
