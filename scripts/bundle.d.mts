export declare const HANDLERS: Record<string, string>
export declare const bundle: () => Promise<Record<string, number>>
