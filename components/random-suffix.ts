/** The random suffix of globally unique names: fixed length and alphabet, stable once created. */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { SUFFIX_LENGTH } from "./naming";

/**
 * A RandomString of {@link SUFFIX_LENGTH} lower-case letters and digits. Its value is kept in state,
 * so the names built on it never change after the first `up`.
 */
export function randomSuffix(name: string, opts: pulumi.CustomResourceOptions): random.RandomString {
    return new random.RandomString(name, { length: SUFFIX_LENGTH, lower: true, upper: false, numeric: true, special: false }, opts);
}
