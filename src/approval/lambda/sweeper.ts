/** Lambda entry for the scheduled sweeper (bundled as is). */
import { sweeperLambda } from './sweeper-lambda';

export const handler = sweeperLambda(process.env);
