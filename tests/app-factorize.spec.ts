import { strict as assert } from "assert";
import * as fc from "fast-check";
import { factorize, isPrime, mulMod, pollardBrent, squfof, FactorizeRangeError, TRIAL_LIMIT } from "../app/src/factorize";

/** The obviously-correct reference. */
function trialDivision(n: number): number[] {
    const f: number[] = [];
    for (let p = 2; p * p <= n; p++) {
        while (n % p === 0) {
            f.push(p);
            n /= p;
        }
    }
    if (n > 1) f.push(n);
    return f;
}

const product = (xs: number[]): number => xs.reduce((a, b) => a * b, 1);

/** Primes just below a bound (found with the reference, so the test does not trust isPrime). */
function primesBelow(bound: number, count: number): number[] {
    const out: number[] = [];
    for (let x = bound - 1; out.length < count; x--) if (trialDivision(x).length === 1) out.push(x);
    return out;
}

describe("app: factorize", () => {
    it("matches trial division on random inputs up to 10^10 and across the whole safe range", () => {
        fc.assert(
            fc.property(fc.integer({ min: 2, max: 1e10 }), (n) => assert.deepEqual(factorize(n), trialDivision(n))),
            { numRuns: 1500 },
        );
        // Large random inputs: the factors must be prime, ascending, and multiply back to n.
        fc.assert(
            fc.property(fc.integer({ min: 2, max: Number.MAX_SAFE_INTEGER }), (n) => {
                const f = factorize(n);
                assert.equal(product(f), n);
                for (let i = 0; i < f.length; i++) {
                    assert.ok(isPrime(f[i]), `${f[i]} is not prime`);
                    if (i > 0) assert.ok(f[i - 1] <= f[i]);
                }
            }),
            { numRuns: 300 },
        );
    });

    it("handles the edges of the range and known values", () => {
        assert.deepEqual(factorize(2), [2]);
        assert.deepEqual(factorize(3), [3]);
        assert.deepEqual(factorize(4), [2, 2]);
        assert.deepEqual(factorize(360), [2, 2, 2, 3, 3, 5]);
        assert.deepEqual(factorize(2 ** 52), Array(52).fill(2));
        assert.deepEqual(factorize(Number.MAX_SAFE_INTEGER), [6361, 69431, 20394401]);
        assert.deepEqual(factorize(9007199254740881), [9007199254740881]); // the largest prime below 2^53
        assert.deepEqual(factorize(94906249 * 94906249), [94906249, 94906249]); // a square of a prime near 2^26.5
        assert.deepEqual(factorize(4099 * 4099 * 4111), [4099, 4099, 4111]); // factors just above the trial limit
        assert.ok(4099 > TRIAL_LIMIT);
    });

    // Speed is measured by `npm run bench -w app` (worst case reported there), not asserted here:
    // a timed unit test on a shared 2-core machine is a flaky test, not a performance claim.
    it("factors semiprimes of two primes near 2^26.5 and the largest primes below 2^53 correctly", () => {
        const ps = primesBelow(94906265, 12);
        // The six largest primes below 2^53, verified once offline by trial division (7 s; too slow per run).
        const big = [9007199254740881, 9007199254740847, 9007199254740761, 9007199254740727, 9007199254740677, 9007199254740653];
        for (let x = Number.MAX_SAFE_INTEGER; x > big[big.length - 1]; x -= 2) assert.equal(isPrime(x), big.includes(x), `x=${x}`);
        const cases: Array<[number, number[]]> = [...big.map((p): [number, number[]] => [p, [p]])];
        for (let i = 0; i < ps.length; i++) for (let j = i; j < ps.length; j++) cases.push([ps[i] * ps[j], [ps[j], ps[i]]]);
        for (const [n, expected] of cases) assert.deepEqual(factorize(n), expected, `n=${n}`);
    });

    it("mulMod is exact against BigInt across the whole range", () => {
        const M = Number.MAX_SAFE_INTEGER;
        fc.assert(
            fc.property(
                fc.integer({ min: 2, max: M }),
                fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
                fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
                (m, u, v) => {
                    const a = Math.floor(u * m);
                    const b = Math.floor(v * m);
                    assert.equal(mulMod(a, b, m), Number((BigInt(a) * BigInt(b)) % BigInt(m)));
                },
            ),
            { numRuns: 3000 },
        );
        for (const m of [M, 9007199254740881, 94906265, 94906266]) {
            for (const a of [0, 1, m - 1, m - 2, Math.floor(m / 2)]) {
                for (const b of [m - 1, 2 ** 26, 2 ** 27 + 1, 3]) {
                    if (b < m) assert.equal(mulMod(a, b, m), Number((BigInt(a) * BigInt(b)) % BigInt(m)), `${a}*${b} mod ${m}`);
                }
            }
        }
    });

    it("isPrime is exact against trial division, including strong pseudoprimes to small bases", () => {
        for (let n = 2; n < 20000; n++) assert.equal(isPrime(n), trialDivision(n).length === 1, `n=${n}`);
        // Strong pseudoprimes to bases 2,3,5,7 (3215031751) and to bases 2..13 (3474749660383).
        for (const n of [3215031751, 3474749660383, 341550071728321]) {
            assert.equal(isPrime(n), trialDivision(n).length === 1, `n=${n}`);
        }
        assert.equal(isPrime(3215031751), false);
        assert.equal(isPrime(341550071728321), false);
    });

    it("both splitting methods find a proper factor on their own", () => {
        for (const n of [94906247 * 94906201, 10403, 4111 * 8191, 999999937 * 9000011]) {
            for (const split of [squfof, pollardBrent]) {
                const f = split(n);
                if (split === squfof && f === 0) continue; // SQUFOF may give up; factorize then uses Pollard-Brent
                assert.ok(f > 1 && f < n && n % f === 0, `${split.name}(${n}) = ${f}`);
            }
        }
        assert.ok(squfof(94906247 * 94906201) > 1);
        assert.throws(() => pollardBrent(9007199254740881), /is prime/);
    });

    it("rejects everything that is not an integer from 2 to 2^53-1", () => {
        for (const bad of [0, 1, -7, 2.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1, 1e300]) {
            assert.throws(() => factorize(bad), FactorizeRangeError, String(bad));
        }
    });
});
