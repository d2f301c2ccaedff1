export declare const MIN_NODE: string;
export declare const MIN_NODE_API: number;
export declare const BOOTSTRAP_NODE: string;
export declare const BOOTSTRAPPED_ENV: string;
export declare function nodeVersionProblem(versions?: { node: string; napi?: string }): string | undefined;
export declare function bootstrapDir(env?: Record<string, string | undefined>): string;
export declare function bootstrapDisabled(env?: Record<string, string | undefined>): boolean;
