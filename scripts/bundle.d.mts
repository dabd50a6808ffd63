import type { BuildOptions } from "esbuild"

export declare const HANDLERS: Record<string, string>
export declare const esbuildOptions: BuildOptions
export declare const bundleOptions: (entry: string, outdir: string) => BuildOptions
/** Per handler, in bytes: index.mjs and the chunks it imports statically (what init loads), and the chunks loaded on first use. */
export declare const bundle: () => Promise<Record<string, { readonly init: number; readonly later: number }>>
