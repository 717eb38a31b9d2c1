import { bundleEntry } from '../approval';

/** The blog example's functions and their entry files, bundled from source at deploy time. */
export const BLOG_FUNCTIONS = {
  posts: 'src/blog/lambda/posts.ts',
  notify: 'src/blog/lambda/notify.ts',
  'post-closer': 'src/blog/lambda/post-closer.ts',
} as const;
export type BlogFunctionName = keyof typeof BLOG_FUNCTIONS;

/** Builds one of the example's functions and returns its folder. */
export function bundleBlogFunction(name: BlogFunctionName, outRoot?: string): string {
  return bundleEntry(name, BLOG_FUNCTIONS[name], outRoot);
}
