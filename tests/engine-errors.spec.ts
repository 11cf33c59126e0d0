/** The one mapping from an error or outcome to the CLI's exit code (release-engine/src/errors.ts). */
import { strict as assert } from "assert";
import { BlockedError, exitCodeOf, InputError, OUTCOME_EXIT, outcomeOf } from "../release-engine/src/errors";

describe("errors → exit codes", () => {
    it("input 2, blocked 3, anything else 1", () => {
        assert.equal(exitCodeOf(new InputError("bad")), 2);
        assert.equal(exitCodeOf(new BlockedError("locked")), 3);
        assert.equal(exitCodeOf(new Error("boom")), 1);
        assert.equal(exitCodeOf("not even an error"), 1);
        assert.equal(outcomeOf(new InputError("x")), "invalid");
    });
    it("each outcome has one exit code: done/noop 0, rejected 1, invalid 2, blocked 3", () => {
        assert.deepEqual(
            {
                done: OUTCOME_EXIT.done,
                noop: OUTCOME_EXIT.noop,
                rolledBack: OUTCOME_EXIT["rolled-back"],
                failed: OUTCOME_EXIT.failed,
                invalid: OUTCOME_EXIT.invalid,
                blocked: OUTCOME_EXIT.blocked,
            },
            { done: 0, noop: 0, rolledBack: 1, failed: 1, invalid: 2, blocked: 3 },
        );
    });
});
