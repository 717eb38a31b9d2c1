/** Lambda entry for the request task (bundled as is). */
import { requestLambda } from './request-lambda';

export const handler = requestLambda(process.env);
