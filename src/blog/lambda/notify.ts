/** Lambda entry for the author notification task (bundled as is). */
import { notifyLambda } from './notify-lambda';

export const handler = notifyLambda(process.env);
