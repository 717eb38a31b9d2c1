/** Lambda entry for the posts API (bundled as is). */
import { postsLambda } from './posts-lambda';

export const handler = postsLambda(process.env);
