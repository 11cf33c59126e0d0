/**
 * Prime factorization of every safe integer (2 … 2^53 − 1), fast in the worst case.
 *
 * Pure and synchronous. The pipeline, chosen so that no step is slow for inputs near 2^53:
 *  1. trial division by the primes below {@link TRIAL_LIMIT} (removes every small factor cheaply);
 *  2. a deterministic Miller–Rabin test (bases proven correct for every n < 2^64), so a large prime
 *     is recognised in microseconds instead of ~10^8 trial divisions;
 *  3. a composite remainder has no factor below TRIAL_LIMIT, so it is split by SQUFOF (Shanks'
 *     square forms, O(n^1/4), every intermediate value below 2^34 so plain doubles are exact), with
 *     Pollard–Rho (Brent's variant) as the fallback when SQUFOF finds nothing.
 * Modular products use {@link mulMod} (exact in doubles), not BigInt: no allocation, so no GC pauses
 * in the worst case.
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
const MR_BASES: readonly number[] = [2, 325, 9375, 28178, 450775, 9780504, 1795265022];
/** Deterministic for n < 3,215,031,751 (Jaeschke). */
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

const SPLIT = 134_217_729; // 2^27 + 1, Veltkamp's splitter for 53-bit doubles

/**
 * (a·b) mod m, exact for 0 ≤ a, b < m ≤ 2^53, without BigInt (no allocation, no GC pauses).
 * Dekker's TwoProduct writes a·b exactly as hi + lo (two doubles); `%` on doubles is exact (IEEE
 * fmod), so both halves reduce exactly, and the sum is formed without leaving [0, m).
 */
export function mulMod(a: number, b: number, m: number): number {
    if (m < EXACT_MUL_LIMIT) return (a * b) % m;
    const hi = a * b;
    let c = SPLIT * a;
    const ah = c - (c - a);
    const al = a - ah;
    c = SPLIT * b;
    const bh = c - (c - b);
    const bl = b - bh;
    const lo = ah * bh - hi + ah * bl + al * bh + al * bl;
    const x = hi % m;
    let y = lo % m;
    if (y < 0) y += m;
    const r = x - (m - y);
    return r < 0 ? r + m : r;
}

function modPow(base: number, exp: number, mod: number): number {
    let result = 1;
    base %= mod;
    while (exp > 0) {
        if (exp % 2 === 1) result = mulMod(result, base, mod);
        base = mulMod(base, base, mod);
        exp = Math.floor(exp / 2);
    }
    return result;
}

function millerRabin(n: number, bases: readonly number[]): boolean {
    let d = n - 1;
    let s = 0;
    while (d % 2 === 0) {
        d /= 2;
        s++;
    }
    outer: for (const base of bases) {
        const a = base % n;
        if (a === 0) continue;
        let x = modPow(a, d, n);
        if (x === 1 || x === n - 1) continue;
        for (let r = 1; r < s; r++) {
            x = mulMod(x, x, n);
            if (x === n - 1) continue outer;
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
    return millerRabin(n, n < 3_215_031_751 ? MR_SMALL_BASES : MR_BASES);
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
    1,
    3,
    5,
    7,
    11,
    3 * 5,
    3 * 7,
    3 * 11,
    5 * 7,
    5 * 11,
    7 * 11,
    3 * 5 * 7,
    3 * 5 * 11,
    3 * 7 * 11,
    5 * 7 * 11,
    3 * 5 * 7 * 11,
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

/**
 * Pollard–Rho with Brent's cycle detection and batched gcds (exact for any safe n via mulMod).
 * @throws FactorizeRangeError for a prime n (it has no proper factor to find).
 */
export function pollardBrent(n: number): number {
    if (isPrime(n)) throw new FactorizeRangeError(`pollardBrent: ${n} is prime`);
    if (n % 2 === 0) return 2;
    const m = 128;
    for (let c = 1; c < 64; c++) {
        const f = (v: number): number => {
            const r = mulMod(v, v, n) + c;
            return r >= n ? r - n : r;
        };
        let y = 2;
        let x = 2;
        let g = 1;
        let q = 1;
        let ys = 2;
        let r = 1;
        while (g === 1) {
            x = y;
            for (let i = 0; i < r; i++) y = f(y);
            let k = 0;
            while (k < r && g === 1) {
                ys = y;
                for (let i = 0; i < Math.min(m, r - k); i++) {
                    y = f(y);
                    q = mulMod(q, Math.abs(x - y), n);
                }
                g = gcd(q, n);
                k += m;
            }
            r *= 2;
        }
        if (g === n) {
            do {
                ys = f(ys);
                g = gcd(Math.abs(x - ys), n);
            } while (g === 1);
        }
        if (g !== n) return g;
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
