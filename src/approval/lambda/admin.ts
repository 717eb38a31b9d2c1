/** Lambda entry for the admin dashboard (bundled as is). */
import { adminLambda } from './admin-lambda';

export const handler = adminLambda(process.env);
