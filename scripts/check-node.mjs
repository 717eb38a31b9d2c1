/**
 * Stops an npm script early when it is not running on the project's pinned Node (22 or newer):
 * that happens when `npm install` ran with --ignore-scripts or --omit=dev, which skips the `node`
 * devDependency's download, and the scripts would then run on an older machine Node.
 */
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`This needs Node.js 22 or newer, and npm scripts are running on ${process.version}: run \`npm install\` (with scripts and dev dependencies) so the project's own Node 24 is installed.`);
  process.exit(1);
}
