// esbuild's binary loader: the file's bytes.
declare module '*.binpb' {
  const bytes: Uint8Array;
  export default bytes;
}
