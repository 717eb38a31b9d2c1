/** Lambda entry for the link handler (bundled as is). */
import { reviewLambda } from './review-lambda';

export const handler = reviewLambda(process.env);
