/**
 * Checks over an expanded Azure Pipelines document (see azure-pipeline-template.ts). Pure functions that
 * return the problems they find, so the specs can prove each one both passes on Phoenix's pipelines and
 * fails on a broken copy.
 */
export type Doc = Record<string, unknown>;

export interface StepSite {
    stage: string;
    job: string;
    /** Deployment hook (`deploy`, `routeTraffic`, `on.success`, `on.failure`) or "" for a plain job. */
    hook: string;
    index: number;
    step: Doc;
    /** The steps of the same job (or hook), in order. */
    siblings: Doc[];
    /** Matrix variables of the job instance this site belongs to. */
    matrix: Record<string, string>;
}

export function isRecord(v: unknown): v is Doc {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}
const list = (v: unknown): Doc[] => (Array.isArray(v) ? v.filter(isRecord) : []);

export function stages(doc: Doc): Doc[] {
    return list(doc.stages);
}

/** Stage ids with their effective dependencies (Azure DevOps: no `dependsOn` means the previous stage). */
export function stageGraph(doc: Doc): { id: string; dependsOn: string[]; condition?: string }[] {
    return stages(doc).map((s, i, all) => {
        const d = s.dependsOn;
        const dependsOn = d === undefined ? (i === 0 ? [] : [String(all[i - 1].stage)]) : Array.isArray(d) ? d.map(String) : [String(d)];
        return { id: String(s.stage), dependsOn, condition: typeof s.condition === "string" ? s.condition : undefined };
    });
}

/** Every step of every job and deployment hook; matrix jobs yield one set of sites per matrix row. */
export function stepSites(doc: Doc): StepSite[] {
    const sites: StepSite[] = [];
    const add = (stage: string, job: string, hook: string, steps: unknown, matrix: Record<string, string>) => {
        const siblings = list(steps);
        siblings.forEach((step, index) => sites.push({ stage, job, hook, index, step, siblings, matrix }));
    };
    for (const s of stages(doc)) {
        for (const j of list(s.jobs)) {
            const jobId = String(j.job ?? j.deployment);
            const strategy = isRecord(j.strategy) ? j.strategy : {};
            const rows: Record<string, string>[] = isRecord(strategy.matrix)
                ? Object.values(strategy.matrix)
                      .filter(isRecord)
                      .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)])))
                : [{}];
            for (const matrix of rows) add(String(s.stage), jobId, "", j.steps, matrix);
            const runOnce = isRecord(strategy.runOnce) ? strategy.runOnce : undefined;
            if (runOnce) {
                for (const hook of ["preDeploy", "deploy", "routeTraffic", "postRouteTraffic"]) {
                    const h = runOnce[hook];
                    if (isRecord(h)) add(String(s.stage), jobId, hook, h.steps, {});
                }
                const on = isRecord(runOnce.on) ? runOnce.on : {};
                for (const hook of ["success", "failure"]) {
                    const h = on[hook];
                    if (isRecord(h)) add(String(s.stage), jobId, `on.${hook}`, h.steps, {});
                }
            }
        }
    }
    return sites;
}

/** `$(name)` runtime macros replaced by a matrix row's values (what the agent sees for that job instance). */
export function withMatrix(text: string, matrix: Record<string, string>): string {
    return text.replace(/\$\(([A-Za-z_][A-Za-z0-9_.]*)\)/g, (m, name: string) => (name in matrix ? matrix[name] : m));
}

const SECRET_WORDS = new Set(["TOKEN", "ACCESSTOKEN", "KEY", "PASSWORD", "PASSPHRASE", "SECRET", "PAT", "CREDENTIALS"]);

/** A variable name that holds a secret: one of its `_`/`.` separated words is a secret word, or it names a connection string. */
export function isSecretName(name: string): boolean {
    const upper = name.toUpperCase();
    if (/CONNECTION_?STRING/.test(upper)) return true;
    return upper.split(/[_.]/).some((w) => SECRET_WORDS.has(w));
}

/** Secret references in text: `$(X)` macros, and `$X` / `${X}` shell expansions. */
export function secretReferences(text: string): string[] {
    const found: string[] = [];
    for (const m of text.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_.]*)\)|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
        const name = m[1] ?? m[2];
        if (isSecretName(name)) found.push(name);
    }
    return found;
}

/** Step fields that become a command line or script text (everything a step runs, except its env:). */
function commandTexts(step: Doc): [string, string][] {
    const out: [string, string][] = [];
    for (const k of ["script", "bash", "pwsh", "powershell"]) if (typeof step[k] === "string") out.push([k, step[k] as string]);
    const inputs = isRecord(step.inputs) ? step.inputs : {};
    for (const [k, v] of Object.entries(inputs)) if (typeof v === "string") out.push([`inputs.${k}`, v]);
    return out;
}

export function secretsInArguments(doc: Doc): string[] {
    const problems: string[] = [];
    for (const site of stepSites(doc)) {
        for (const [field, text] of commandTexts(site.step)) {
            for (const name of secretReferences(text)) {
                problems.push(
                    `${site.stage}/${site.job}${site.hook ? "/" + site.hook : ""} step ${site.index} ${field} references secret ${name}`,
                );
            }
        }
        const env = isRecord(site.step.env) ? site.step.env : {};
        for (const [k, v] of Object.entries(env)) {
            if (isSecretName(k) && !(typeof v === "string" && /^\$\([A-Za-z_][A-Za-z0-9_.]*\)$/.test(v))) {
                problems.push(`${site.stage}/${site.job} step ${site.index} env ${k} is not a secret variable reference`);
            }
        }
    }
    return problems;
}

/** Every string anywhere that says `latest`. */
export function latestMentions(node: unknown, where = ""): string[] {
    if (typeof node === "string") return /\blatest\b/i.test(node) ? [`${where}: ${node}`] : [];
    if (Array.isArray(node)) return node.flatMap((n, i) => latestMentions(n, `${where}/${i}`));
    if (isRecord(node)) return Object.entries(node).flatMap(([k, v]) => latestMentions(v, `${where}/${k}`));
    return [];
}

export interface PulumiRun {
    site: StepSite;
    command: string;
    stack: string;
    args: string;
    policyPack?: string;
    policyConfig?: string;
}

export function pulumiRuns(doc: Doc): PulumiRun[] {
    return stepSites(doc)
        .filter((s) => s.step.task === "Pulumi@1")
        .map((site) => {
            const inputs = isRecord(site.step.inputs) ? site.step.inputs : {};
            const args = withMatrix(String(inputs.args ?? ""), site.matrix);
            return {
                site,
                command: String(inputs.command),
                stack: withMatrix(String(inputs.stack), site.matrix),
                args,
                policyPack: /--policy-pack\s+(\S+)/.exec(args)?.[1],
                policyConfig: /--policy-pack-config\s+(\S+)/.exec(args)?.[1],
            };
        });
}

/** Problems with one Pulumi@1 run: the policy pack and its config, --yes on up, npm ci before, a pinned CLI. */
export function pulumiRunProblems(run: PulumiRun): string[] {
    const p: string[] = [];
    const at = `${run.site.stage}/${run.site.job} pulumi ${run.command} ${run.stack}`;
    const inputs = isRecord(run.site.step.inputs) ? run.site.step.inputs : {};
    if (!run.policyPack || !/\/policy$/.test(run.policyPack)) p.push(`${at}: no --policy-pack <phoenix>/policy`);
    if (!run.policyConfig || !/\/policy\/config\/[a-z0-9-]+\.json$/.test(run.policyConfig))
        p.push(`${at}: no --policy-pack-config policy/config/<env>.json`);
    if (run.command === "up" && !/(^|\s)--yes(\s|$)/.test(run.args)) p.push(`${at}: up without --yes`);
    if (run.command === "preview" && inputs.createPrComment !== true) p.push(`${at}: preview without createPrComment`);
    if (!/^\d+\.\d+\.\d+$/.test(String(inputs.versionSpec))) p.push(`${at}: versionSpec ${String(inputs.versionSpec)} is not pinned`);
    const npmCi = run.site.siblings.slice(0, run.site.index).some((s) => typeof s.script === "string" && /^npm ci\b/.test(s.script));
    if (!npmCi) p.push(`${at}: no npm ci before it`);
    return p;
}

/** The engine command each step of a deployment hook runs (`npm run release -- <command> …`). */
export function engineCommands(site: StepSite): string[] {
    const inputs = isRecord(site.step.inputs) ? site.step.inputs : {};
    const script = String(inputs.inlineScript ?? site.step.script ?? site.step.bash ?? "");
    const m = /npm run release -- (.+)$/m.exec(script);
    return m ? [m[1]] : [];
}
