/**
 * Prime factorization of every safe integer (2 … 2^53 − 1), fast in the worst case.
 *
 * Pure and synchronous. The pipeline, chosen so that no step is slow for inputs near 2^53:
 *  1. trial division by the primes below {@link TRIAL_LIMIT} (removes every small factor cheaply);
 *  2. a deterministic Miller–Rabin test (bases proven correct for every n < 2^64), so a large prime
 *     is recognised in microseconds instead of ~10^8 trial divisions;
 *  3. a composite remainder has no factor below TRIAL_LIMIT, so it is split by SQUFOF (Shanks'
 *     square forms, O(n^1/4), every intermediate value below 2^34 so plain doubles are exact), with
 *     Pollard–Rho (Brent's variant, BigInt arithmetic) as the fallback when SQUFOF finds nothing.
 *
 * Worst-case target: under 5 ms for any input (measured by `npm run bench -w app`).
 */

/** Trial division removes every prime factor below this bound before the heavier methods run. */
export const TRIAL_LIMIT = 1 << 12;

/** Below this, a·b for a, b < n stays under 2^53 and Number arithmetic is exact. */
const EXACT_MUL_LIMIT = 94_906_265; // floor(sqrt(2^53))

const SMALL_PRIMES: readonly number[] = (() => {
    const sieve = new Uint8Array(TRIAL_LIMIT);
    const primes: number[] = [];
    for (let i = 2; i < TRIAL_LIMIT; i++) {
        if (sieve[i] === 0) {
            primes.push(i);
            for (let j = i * i; j < TRIAL_LIMIT; j += i) sieve[j] = 1;
        }
    }
    return primes;
})();

/** Witness bases that make Miller–Rabin deterministic for every n < 2^64 (Sinclair). */
const MR_BASES: readonly bigint[] = [2n, 325n, 9375n, 28178n, 450775n, 9780504n, 1795265022n];
/** Deterministic for n < 3,215,031,751 (Jaeschke): used when Number arithmetic is exact. */
const MR_SMALL_BASES: readonly number[] = [2, 3, 5, 7];

/** Thrown for anything that is not an integer in [2, Number.MAX_SAFE_INTEGER]. */
export class FactorizeRangeError extends RangeError {}

function assertFactorizable(n: number): void {
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 2) {
        throw new FactorizeRangeError(`expected an integer from 2 to ${Number.MAX_SAFE_INTEGER}, got ${String(n)}`);
    }
}

function gcd(a: number, b: number): number {
    while (b !== 0) {
        const t = a % b;
        a = b;
        b = t;
    }
    return a;
}

function modPowSmall(base: number, exp: number, mod: number): number {
    let result = 1;
    base %= mod;
    while (exp > 0) {
        if (exp % 2 === 1) result = (result * base) % mod;
        base = (base * base) % mod;
        exp = Math.floor(exp / 2);
    }
    return result;
}

function modPowBig(base: bigint, exp: bigint, mod: bigint): bigint {
    let result = 1n;
    base %= mod;
    while (exp > 0n) {
        if (exp & 1n) result = (result * base) % mod;
        base = (base * base) % mod;
        exp >>= 1n;
    }
    return result;
}

function isPrimeSmall(n: number): boolean {
    let d = n - 1;
    let s = 0;
    while (d % 2 === 0) {
        d /= 2;
        s++;
    }
    outer: for (const a of MR_SMALL_BASES) {
        if (a % n === 0) continue;
        let x = modPowSmall(a, d, n);
        if (x === 1 || x === n - 1) continue;
        for (let r = 1; r < s; r++) {
            x = (x * x) % n;
            if (x === n - 1) continue outer;
        }
        return false;
    }
    return true;
}

function isPrimeBig(n: number): boolean {
    const N = BigInt(n);
    const N1 = N - 1n;
    let d = N1;
    let s = 0;
    while ((d & 1n) === 0n) {
        d >>= 1n;
        s++;
    }
    outer: for (const base of MR_BASES) {
        const a = base % N;
        if (a === 0n) continue;
        let x = modPowBig(a, d, N);
        if (x === 1n || x === N1) continue;
        for (let r = 1; r < s; r++) {
            x = (x * x) % N;
            if (x === N1) continue outer;
        }
        return false;
    }
    return true;
}

/** Deterministic primality for any safe integer. */
export function isPrime(n: number): boolean {
    assertFactorizable(n);
    for (const p of SMALL_PRIMES) {
        if (n === p) return true;
        if (n % p === 0) return false;
        if (p * p > n) return true;
    }
    return n < EXACT_MUL_LIMIT ? isPrimeSmall(n) : isPrimeBig(n);
}

function isqrt(n: number): number {
    let r = Math.floor(Math.sqrt(n));
    while (r * r > n) r--;
    while ((r + 1) * (r + 1) <= n) r++;
    return r;
}

function isqrtBig(n: bigint): bigint {
    if (n < 2n) return n;
    let x = BigInt(Math.floor(Math.sqrt(Number(n))));
    while (x * x > n) x--;
    while ((x + 1n) * (x + 1n) <= n) x++;
    return x;
}

/** Square-free multipliers for SQUFOF (products of 3, 5, 7, 11), smallest first. */
const SQUFOF_MULTIPLIERS: readonly number[] = [
    1, 3, 5, 7, 11, 3 * 5, 3 * 7, 3 * 11, 5 * 7, 5 * 11, 7 * 11, 3 * 5 * 7, 3 * 5 * 11, 3 * 7 * 11, 5 * 7 * 11, 3 * 5 * 7 * 11,
];

/**
 * Shanks' square forms factorization of an odd composite n that is not a perfect square.
 * D = k·n may exceed 2^53, so the two steps that touch D use BigInt; the loops only see values
 * below 2·sqrt(D) < 2^34, where doubles are exact. Returns a non-trivial factor, or 0 if none found.
 */
export function squfof(n: number): number {
    const s = isqrt(n);
    if (s * s === n) return s;
    const nBig = BigInt(n);
    for (const k of SQUFOF_MULTIPLIERS) {
        const D = BigInt(k) * nBig;
        const P0 = Number(isqrtBig(D));
        let Pprev = P0;
        let P = P0;
        let Qprev = 1;
        let Q = Number(D - BigInt(P0) * BigInt(P0));
        if (Q === 0) continue;
        const L = Math.floor(2 * Math.sqrt(2 * Math.sqrt(Number(D))));
        const B = 3 * L;
        let i = 2;
        let r = 0;
        for (; i < B; i++) {
            const b = Math.floor((P0 + P) / Q);
            P = b * Q - P;
            const q = Q;
            Q = Qprev + b * (Pprev - P);
            if (i % 2 === 0) {
                r = Math.floor(Math.sqrt(Q) + 0.5);
                if (r * r === Q) break;
            }
            Qprev = q;
            Pprev = P;
        }
        if (i >= B || r === 0) continue;
        const b0 = Math.floor((P0 - P) / r);
        P = b0 * r + P;
        Pprev = P;
        Qprev = r;
        Q = Number((D - BigInt(Pprev) * BigInt(Pprev)) / BigInt(Qprev));
        if (Q === 0) continue;
        for (let guard = 0; guard < 4 * B; guard++) {
            const b = Math.floor((P0 + P) / Q);
            Pprev = P;
            P = b * Q - P;
            const q = Q;
            Q = Qprev + b * (Pprev - P);
            Qprev = q;
            if (P === Pprev) break;
        }
        const f = gcd(n, Qprev);
        if (f !== 1 && f !== n) return f;
    }
    return 0;
}

/** Pollard–Rho with Brent's cycle detection and batched gcds, in BigInt (exact for any n). */
export function pollardBrent(n: number): number {
    if (n % 2 === 0) return 2;
    const N = BigInt(n);
    for (let c = 1n; c < 64n; c++) {
        let y = 2n;
        let x = 2n;
        let g = 1n;
        let q = 1n;
        let ys = 2n;
        const m = 128;
        let r = 1;
        const gcdBig = (a: bigint, b: bigint): bigint => BigInt(gcd(Number(a), Number(b)));
        while (g === 1n) {
            x = y;
            for (let i = 0; i < r; i++) y = (y * y + c) % N;
            let k = 0;
            while (k < r && g === 1n) {
                ys = y;
                for (let i = 0; i < Math.min(m, r - k); i++) {
                    y = (y * y + c) % N;
                    q = (q * (x > y ? x - y : y - x)) % N;
                }
                g = gcdBig(q, N);
                k += m;
            }
            r *= 2;
        }
        if (g === N) {
            do {
                ys = (ys * ys + c) % N;
                g = gcdBig(x > ys ? x - ys : ys - x, N);
            } while (g === 1n);
        }
        if (g !== N) return Number(g);
    }
    throw new Error(`pollardBrent: no factor found for ${n}`);
}

/** A non-trivial factor of the composite n, which has no prime factor below TRIAL_LIMIT. */
function splitComposite(n: number): number {
    const f = squfof(n);
    return f > 1 && f < n && n % f === 0 ? f : pollardBrent(n);
}

function factorLarge(n: number, out: number[]): void {
    if (isPrime(n)) {
        out.push(n);
        return;
    }
    const f = splitComposite(n);
    factorLarge(f, out);
    factorLarge(n / f, out);
}

/**
 * The prime factors of n in ascending order, with multiplicity (their product is n).
 * @throws FactorizeRangeError when n is not an integer from 2 to Number.MAX_SAFE_INTEGER.
 */
export function factorize(n: number): number[] {
    assertFactorizable(n);
    const factors: number[] = [];
    for (const p of SMALL_PRIMES) {
        if (p * p > n) break;
        while (n % p === 0) {
            factors.push(p);
            n /= p;
        }
    }
    if (n > 1) {
        if (n < TRIAL_LIMIT * TRIAL_LIMIT) factors.push(n);
        else factorLarge(n, factors);
    }
    return factors.sort((a, b) => a - b);
}
