/**
 * A small KQL checker for the queries Phoenix ships (workbook, alerts, Grafana dashboard). Pure. The
 * suite runs it (tests/observability.spec.ts, tests/platform-observability.spec.ts); nothing at deploy
 * time does: the queries are built from constants and validated config values.
 *
 * It tokenizes a query, parses it as one tabular pipeline (`Table | op | op …`, with `toscalar(…)`
 * sub-pipelines), and tracks the columns in scope after every operator, starting from a committed
 * column list (app-requests-columns.ts). It reports:
 *  - an unknown table, operator or function (the subset Phoenix uses; anything else is refused);
 *  - a column that is not in scope where it is used (a misspelled `DurationMS`, a column dropped by
 *    `summarize`/`project`);
 *  - an aggregation outside `summarize`, a window function (`prev`) on unserialized rows;
 *  - syntax errors (unbalanced brackets, a dangling operator, an unterminated string).
 * It does not know types (a string compared with a number passes), function arities beyond a few,
 * the keys inside dynamic columns (`Properties["app.slot"]`), or whether data exists — those need a
 * real workspace.
 */
import { KNOWN_TABLES } from "./app-requests-columns";

export interface KqlProblem {
    message: string;
    /** Character offset in the query. */
    at: number;
}

export interface KqlCheckResult {
    ok: boolean;
    problems: KqlProblem[];
    /** Columns of the query's result, in order. */
    columns: string[];
}

type TokenKind = "ident" | "string" | "number" | "timespan" | "op" | "macro" | "end";
interface Token {
    kind: TokenKind;
    text: string;
    at: number;
}

const TWO_CHAR_OPS = ["==", "!=", "<=", ">=", "=~", "!~"];
const ONE_CHAR_OPS = "|()[],=<>+-*/%.";
const TIMESPAN = /^(\d+(?:\.\d+)?)(ms|microsecond|tick|d|h|m|s)$/;

export function tokenize(q: string): { tokens: Token[]; problems: KqlProblem[] } {
    const tokens: Token[] = [];
    const problems: KqlProblem[] = [];
    let i = 0;
    while (i < q.length) {
        const c = q[i];
        if (/\s/.test(c)) {
            i++;
            continue;
        }
        if (q.startsWith("//", i)) {
            while (i < q.length && q[i] !== "\n") i++;
            continue;
        }
        if (c === '"' || c === "'") {
            let j = i + 1;
            while (j < q.length && q[j] !== c && q[j] !== "\n") j += q[j] === "\\" ? 2 : 1;
            if (j >= q.length || q[j] !== c) {
                problems.push({ message: "unterminated string literal", at: i });
                break;
            }
            tokens.push({ kind: "string", text: q.slice(i, j + 1), at: i });
            i = j + 1;
            continue;
        }
        if (/[0-9]/.test(c)) {
            const m = /^[0-9]+(\.[0-9]+)?[A-Za-z]*/.exec(q.slice(i)) as RegExpExecArray;
            const text = m[0];
            const kind: TokenKind = /^[0-9.]+$/.test(text) ? "number" : TIMESPAN.test(text) ? "timespan" : "number";
            if (kind === "number" && !/^[0-9.]+$/.test(text)) problems.push({ message: `malformed number or timespan "${text}"`, at: i });
            tokens.push({ kind, text, at: i });
            i += text.length;
            continue;
        }
        if (q.startsWith("$__", i)) {
            const m = /^\$__[A-Za-z]+/.exec(q.slice(i)) as RegExpExecArray;
            tokens.push({ kind: "macro", text: m[0], at: i });
            i += m[0].length;
            continue;
        }
        if (/[A-Za-z_]/.test(c)) {
            // Operator names may contain hyphens (project-away, mv-expand).
            const m = /^[A-Za-z_][A-Za-z0-9_]*(-[a-z]+)*/.exec(q.slice(i)) as RegExpExecArray;
            tokens.push({ kind: "ident", text: m[0], at: i });
            i += m[0].length;
            continue;
        }
        if (c === "!" && /^!(in|has|contains|startswith|endswith)\b/.test(q.slice(i))) {
            const m = /^!(in|has|contains|startswith|endswith)/.exec(q.slice(i)) as RegExpExecArray;
            tokens.push({ kind: "op", text: m[0], at: i });
            i += m[0].length;
            continue;
        }
        const two = q.slice(i, i + 2);
        if (TWO_CHAR_OPS.includes(two)) {
            tokens.push({ kind: "op", text: two, at: i });
            i += 2;
            continue;
        }
        if (ONE_CHAR_OPS.includes(c)) {
            tokens.push({ kind: "op", text: c, at: i });
            i++;
            continue;
        }
        problems.push({ message: `unexpected character "${c}"`, at: i });
        i++;
    }
    tokens.push({ kind: "end", text: "", at: q.length });
    return { tokens, problems };
}

/** Aggregation functions (only inside summarize). */
const AGGREGATES = new Set([
    "count",
    "countif",
    "sum",
    "sumif",
    "avg",
    "avgif",
    "min",
    "max",
    "minif",
    "maxif",
    "dcount",
    "dcountif",
    "percentile",
    "percentiles",
    "percentilew",
    "percentilesw",
    "arg_max",
    "arg_min",
    "take_any",
    "take_anyif",
    "make_list",
    "make_set",
]);
/** Window functions (need serialized rows). */
const WINDOW = new Set(["prev", "next", "row_cumsum", "row_number"]);
/** Scalar functions. */
const SCALARS = new Set([
    "ago",
    "now",
    "bin",
    "floor",
    "round",
    "strcat",
    "tostring",
    "toint",
    "tolong",
    "todouble",
    "toreal",
    "tobool",
    "todatetime",
    "iff",
    "iif",
    "case",
    "isempty",
    "isnotempty",
    "isnull",
    "isnotnull",
    "coalesce",
    "not",
    "abs",
    "toscalar",
    "format_datetime",
    "datetime_diff",
]);
/** Grafana Azure Monitor macros usable as functions. */
const MACROS = new Set(["$__timeFilter"]);
const KEYWORDS = new Set([
    "and",
    "or",
    "true",
    "false",
    "null",
    "asc",
    "desc",
    "nulls",
    "first",
    "last",
    "by",
    "in",
    "has",
    "contains",
    "startswith",
    "endswith",
    "between",
]);
const WORD_OPS = new Set(["and", "or", "in", "has", "contains", "startswith", "endswith", "between"]);
const SYMBOL_OPS = new Set([
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=~",
    "!~",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!in",
    "!has",
    "!contains",
    "!startswith",
    "!endswith",
]);

interface Scope {
    columns: string[];
    serialized: boolean;
}

class Parser {
    private i = 0;
    readonly problems: KqlProblem[] = [];
    constructor(
        private readonly t: Token[],
        private readonly tables: Readonly<Record<string, readonly string[]>>,
    ) {}

    private get cur(): Token {
        return this.t[this.i];
    }
    private peek(n = 1): Token {
        return this.t[Math.min(this.i + n, this.t.length - 1)];
    }
    private is(text: string): boolean {
        return (this.cur.kind === "op" || this.cur.kind === "ident") && this.cur.text === text;
    }
    private accept(text: string): boolean {
        if (!this.is(text)) return false;
        this.i++;
        return true;
    }
    private expect(text: string): void {
        if (!this.accept(text)) this.fail(`expected "${text}" but found ${this.describe(this.cur)}`);
    }
    private describe(tok: Token): string {
        return tok.kind === "end" ? "the end of the query" : `"${tok.text}"`;
    }
    private fail(message: string, at = this.cur.at): never {
        this.problems.push({ message, at });
        throw new SyntaxStop();
    }
    private note(message: string, at: number): void {
        this.problems.push({ message, at });
    }

    /** query := Table ('|' operator)* */
    pipeline(stopAt?: string): Scope {
        const table = this.cur;
        if (table.kind !== "ident") this.fail(`a query starts with a table name, found ${this.describe(table)}`);
        const columns = this.tables[table.text];
        if (!columns) this.fail(`unknown table "${table.text}" (known: ${Object.keys(this.tables).join(", ")})`, table.at);
        this.i++;
        let scope: Scope = { columns: [...columns], serialized: false };
        while (this.accept("|")) scope = this.operator(scope);
        if (this.cur.kind !== "end" && !(stopAt && this.is(stopAt)))
            this.fail(`expected "|" or the end of the query, found ${this.describe(this.cur)}`);
        return scope;
    }

    private name(): string {
        const tok = this.cur;
        if (tok.kind !== "ident" || KEYWORDS.has(tok.text)) this.fail(`expected a column name, found ${this.describe(tok)}`);
        this.i++;
        return tok.text;
    }

    private column(scope: Scope): string {
        const at = this.cur.at;
        const n = this.name();
        if (!scope.columns.includes(n)) this.note(unknownColumn(n, scope.columns), at);
        return n;
    }

    /** `name = expr` or `expr`; returns the resulting column name (derived for bare columns and bin()). */
    private assignment(scope: Scope, ctx: { aggregate: boolean }): string {
        if (this.cur.kind === "ident" && this.peek().kind === "op" && this.peek().text === "=" && !KEYWORDS.has(this.cur.text)) {
            const n = this.name();
            this.expect("=");
            this.expr(scope, ctx);
            return n;
        }
        const start = this.cur;
        this.expr(scope, ctx);
        // Unnamed: a bare column keeps its name; bin(col, …) and f(col) are named after the column (KQL: bin → col, sum → sum_col).
        if (start.kind === "ident" && this.t[this.i - 1] === start) return start.text;
        if (start.kind === "ident" && this.t[this.t.indexOf(start) + 1]?.text === "(") {
            const arg = this.t[this.t.indexOf(start) + 2];
            if (start.text === "bin" || start.text === "floor") return arg.text;
            if (start.text === "count") return "count_";
            return `${start.text}_${arg.text}`;
        }
        return `Column${this.i}`;
    }

    private operator(scope: Scope): Scope {
        const op = this.cur;
        if (op.kind !== "ident") this.fail(`expected an operator after "|", found ${this.describe(op)}`);
        this.i++;
        const list = <T>(item: () => T): T[] => {
            const out = [item()];
            while (this.accept(",")) out.push(item());
            return out;
        };
        switch (op.text) {
            case "where":
                this.expr(scope, { aggregate: false });
                return scope;
            case "extend": {
                const added = list(() => this.assignment(scope, { aggregate: false }));
                return { ...scope, columns: [...scope.columns.filter((c) => !added.includes(c)), ...added] };
            }
            case "project":
                return { ...scope, columns: list(() => this.assignment(scope, { aggregate: false })) };
            case "project-away": {
                const gone = list(() => this.column(scope));
                return { ...scope, columns: scope.columns.filter((c) => !gone.includes(c)) };
            }
            case "summarize": {
                const out: string[] = [];
                if (!this.is("by")) {
                    for (const agg of list(() => this.aggregation(scope))) out.push(...agg);
                }
                const keys = this.accept("by") ? list(() => this.assignment(scope, { aggregate: false })) : [];
                return { columns: [...keys, ...out.filter((c) => !keys.includes(c))], serialized: false };
            }
            case "order":
            case "sort": {
                this.expect("by");
                list(() => {
                    this.expr(scope, { aggregate: false });
                    if (!this.accept("asc")) this.accept("desc");
                });
                return { ...scope, serialized: true };
            }
            case "top": {
                this.expr(scope, { aggregate: false });
                this.expect("by");
                this.expr(scope, { aggregate: false });
                if (!this.accept("asc")) this.accept("desc");
                return { ...scope, serialized: true };
            }
            case "take":
            case "limit":
                this.expr(scope, { aggregate: false });
                return scope;
            case "serialize": {
                const ser: Scope = { ...scope, serialized: true };
                const added = this.cur.kind === "ident" && !this.is("|") ? list(() => this.assignment(ser, { aggregate: false })) : [];
                return { columns: [...scope.columns.filter((c) => !added.includes(c)), ...added], serialized: true };
            }
            case "distinct":
                return { columns: list(() => this.column(scope)), serialized: false };
            default:
                return this.fail(`unknown or unsupported operator "${op.text}"`, op.at);
        }
    }

    /** One summarize aggregation; arg_max/arg_min yield several columns. */
    private aggregation(scope: Scope): string[] {
        const fn = this.cur;
        const named = fn.kind === "ident" && this.peek().text === "=";
        if (!named && (fn.text === "arg_max" || fn.text === "arg_min")) {
            this.i++;
            this.expect("(");
            const cols: string[] = [];
            const first = this.cur;
            this.expr(scope, { aggregate: false });
            if (first.kind === "ident") cols.push(first.text);
            while (this.accept(",")) {
                if (this.accept("*")) cols.push(...scope.columns);
                else cols.push(this.column(scope));
            }
            this.expect(")");
            return cols;
        }
        const n = this.assignment(scope, { aggregate: true });
        return [n];
    }

    private expr(scope: Scope, ctx: { aggregate: boolean }): void {
        this.unary(scope, ctx);
        for (;;) {
            const tok = this.cur;
            const isOp = (tok.kind === "op" && SYMBOL_OPS.has(tok.text)) || (tok.kind === "ident" && WORD_OPS.has(tok.text));
            if (!isOp) return;
            this.i++;
            if (tok.text === "in" || tok.text === "!in") {
                this.expect("(");
                if (!this.is(")")) {
                    this.expr(scope, ctx);
                    while (this.accept(",")) this.expr(scope, ctx);
                }
                this.expect(")");
                continue;
            }
            if (tok.text === "between") {
                this.expect("(");
                this.expr(scope, ctx);
                this.expect(".");
                this.expect(".");
                this.expr(scope, ctx);
                this.expect(")");
                continue;
            }
            this.unary(scope, ctx);
        }
    }

    private unary(scope: Scope, ctx: { aggregate: boolean }): void {
        if (this.accept("-")) return this.unary(scope, ctx);
        this.primary(scope, ctx);
        // Postfix: dynamic access d["key"], d.key
        for (;;) {
            if (this.accept("[")) {
                this.expr(scope, ctx);
                this.expect("]");
            } else if (this.is(".") && this.peek().kind === "ident") {
                this.i += 2;
            } else return;
        }
    }

    private primary(scope: Scope, ctx: { aggregate: boolean }): void {
        const tok = this.cur;
        if (tok.kind === "string" || tok.kind === "number" || tok.kind === "timespan") {
            this.i++;
            return;
        }
        if (this.accept("(")) {
            this.expr(scope, ctx);
            this.expect(")");
            return;
        }
        if (tok.kind === "macro") {
            this.i++;
            if (!MACROS.has(tok.text)) this.note(`unknown macro "${tok.text}"`, tok.at);
            this.call(tok, scope, { aggregate: false });
            return;
        }
        if (tok.kind === "ident") {
            if (["true", "false", "null"].includes(tok.text)) {
                this.i++;
                return;
            }
            if (KEYWORDS.has(tok.text)) this.fail(`unexpected keyword "${tok.text}"`);
            this.i++;
            if (this.is("(")) {
                this.checkFunction(tok, scope, ctx);
                if (tok.text === "toscalar" && this.peek().kind === "ident" && this.tables[this.peek().text] !== undefined) {
                    this.expect("(");
                    this.pipeline(")");
                    this.expect(")");
                    return;
                }
                this.call(tok, scope, { aggregate: false });
                return;
            }
            if (tok.text === "datetime" || tok.text === "timespan" || tok.text === "dynamic") return;
            if (!scope.columns.includes(tok.text)) this.note(unknownColumn(tok.text, scope.columns), tok.at);
            return;
        }
        this.fail(`expected a value, found ${this.describe(tok)}`);
    }

    private checkFunction(tok: Token, scope: Scope, ctx: { aggregate: boolean }): void {
        const f = tok.text;
        if (AGGREGATES.has(f)) {
            if (!ctx.aggregate) this.note(`aggregation "${f}()" outside summarize`, tok.at);
        } else if (WINDOW.has(f)) {
            if (!scope.serialized) this.note(`window function "${f}()" needs serialized rows (order by, serialize or top first)`, tok.at);
        } else if (!SCALARS.has(f)) {
            this.note(`unknown function "${f}()"`, tok.at);
        }
    }

    private call(fn: Token, scope: Scope, ctx: { aggregate: boolean }): void {
        this.expect("(");
        let args = 0;
        if (!this.is(")")) {
            this.expr(scope, ctx);
            args++;
            while (this.accept(",")) {
                this.expr(scope, ctx);
                args++;
            }
        }
        this.expect(")");
        const arity: Record<string, [number, number]> = {
            bin: [2, 2],
            sumif: [2, 2],
            countif: [1, 1],
            percentilew: [3, 3],
            percentile: [2, 2],
            iff: [3, 3],
            ago: [1, 1],
            round: [1, 2],
            prev: [1, 3],
        };
        const a = arity[fn.text];
        if (a && (args < a[0] || args > a[1]))
            this.note(`${fn.text}() takes ${a[0] === a[1] ? a[0] : `${a[0]}–${a[1]}`} argument(s), got ${args}`, fn.at);
    }
}

class SyntaxStop extends Error {}

function distance(a: string, b: string): number {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) {
        for (let j = 1; j <= b.length; j++)
            d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    return d[a.length][b.length];
}

/** "unknown column X" with the nearest column in scope when one is close (case or a typo). */
function unknownColumn(name: string, columns: string[]): string {
    const near = columns
        .map((c) => ({ c, d: c.toLowerCase() === name.toLowerCase() ? 0 : distance(c, name) }))
        .sort((x, y) => x.d - y.d)[0];
    const hint = near && near.d <= 2 ? `did you mean "${near.c}"?` : `${columns.length} columns in scope`;
    return `unknown column "${name}" (${hint})`;
}

/** Checks one query against the known tables (AppRequests by default). */
export function checkKql(query: string, tables: Readonly<Record<string, readonly string[]>> = KNOWN_TABLES): KqlCheckResult {
    const { tokens, problems } = tokenize(query);
    if (problems.length > 0) return { ok: false, problems, columns: [] };
    const p = new Parser(tokens, tables);
    let columns: string[] = [];
    try {
        columns = p.pipeline().columns;
    } catch (e) {
        if (!(e instanceof SyntaxStop)) throw e;
    }
    return { ok: p.problems.length === 0, problems: p.problems, columns };
}

/** Formats problems with line:column for messages. */
export function describeProblems(query: string, problems: KqlProblem[]): string {
    return problems
        .map((pr) => {
            const before = query.slice(0, pr.at);
            const line = before.split("\n").length;
            const col = pr.at - before.lastIndexOf("\n");
            return `${line}:${col} ${pr.message}`;
        })
        .join("\n");
}
