/** Structured logs: one JSON object per line, `event` first. Callers never pass secrets. */

export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | undefined | string[] | number[]>;
export type Logger = (event: string, fields?: LogFields, level?: LogLevel) => void;

/** Formats one log line (pure, for tests). */
export function formatLogLine(event: string, fields: LogFields = {}, level: LogLevel = "info", now: Date = new Date()): string {
    return JSON.stringify({ event, ...fields, level, time: now.toISOString() }) + "\n";
}

/** A logger writing to a stream (stdout by default). */
export function createLogger(write: (line: string) => void = (l) => void process.stdout.write(l)): Logger {
    return (event, fields, level) => write(formatLogLine(event, fields, level));
}

/** For in-process tests that do not want output. */
export const silentLogger: Logger = () => undefined;
