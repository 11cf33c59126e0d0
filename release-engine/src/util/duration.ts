/** Durations as every report line shows them: milliseconds below a second, else seconds with two decimals. */
export function formatDuration(ms: number): string {
    return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
