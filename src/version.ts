// The version, from one place: package.json, read once at run time. dist/src/version.js sits two
// levels below the package root both in a checkout and in an installed package, so the same
// relative path finds it in both (npm always packs package.json).
import { readFileSync } from 'node:fs';

interface PackageJson {
  readonly name: string;
  readonly version: string;
}

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as PackageJson;

/** The npm package's name: `polarity-server`. */
export const PACKAGE_NAME: string = pkg.name;
/** The package version, e.g. `0.2.0`: `--version`, OpenAPI `info.version`, `polarity_build_info`, the load tester's User-Agent. */
export const VERSION: string = pkg.version;
