/** Lambda entry for the approval core's closer (bundled as is). */
import { closerLambda } from './closer-lambda';

export const handler = closerLambda(process.env);
