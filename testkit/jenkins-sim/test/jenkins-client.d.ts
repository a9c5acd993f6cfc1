// Minimal types for the untyped `jenkins` npm client (v1.1), covering what the tests call.
declare module 'jenkins' {
  interface CallOptions {
    tree?: string;
    depth?: number;
  }
  interface LogStream {
    on(event: 'data', listener: (text: string) => void): this;
    on(event: 'error', listener: (error: Error) => void): this;
    on(event: 'end', listener: () => void): this;
    end(): void;
  }
  export default class Jenkins {
    constructor(options: { baseUrl: string; crumbIssuer?: boolean; headers?: Record<string, string> });
    info(options?: CallOptions): Promise<any>;
    job: {
      get(name: string, options?: CallOptions): Promise<any>;
      get(options: { name: string } & CallOptions): Promise<any>;
      list(name?: string): Promise<any[]>;
      build(options: { name: string; parameters?: Record<string, string | boolean> }): Promise<number>;
      exists(name: string): Promise<boolean>;
      config(name: string): Promise<string>;
    };
    build: {
      get(name: string, number: number | string, options?: CallOptions): Promise<any>;
      get(options: { name: string; number: number | string } & CallOptions): Promise<any>;
      log(name: string, number: number | string): Promise<string>;
      log(options: { name: string; number: number | string; start?: number; meta?: boolean }): Promise<any>;
      logStream(options: { name: string; number: number | string; delay?: number }): LogStream;
      stop(name: string, number: number | string): Promise<void>;
    };
    queue: {
      item(number: number): Promise<any>;
      list(): Promise<any[]>;
      cancel(number: number): Promise<void>;
    };
    crumbIssuer: { get(): Promise<{ crumb: string; crumbRequestField: string }> };
  }
}
