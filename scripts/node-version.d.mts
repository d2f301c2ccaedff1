export declare const MIN_NODE: string;
export declare const MIN_NODE_API: number;
export declare function nodeVersionProblem(versions?: { node: string; napi?: string }): string | undefined;
