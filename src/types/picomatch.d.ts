/**
 * picomatch (the matcher tinyglobby uses, installed with it) ships no types; the one call the
 * S3 catalog makes, so that object keys match a pattern exactly as files on a disk do.
 */
declare module 'picomatch' {
  interface Options {
    dot?: boolean;
    posix?: boolean;
  }
  function picomatch(pattern: string, options?: Options): (path: string) => boolean;
  export default picomatch;
}
