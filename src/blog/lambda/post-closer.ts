/** Lambda entry for the blog example's post closer (bundled as is). */
import { postCloserLambda } from './post-closer-lambda';

export const handler = postCloserLambda(process.env);
