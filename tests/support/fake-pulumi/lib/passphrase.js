// The passphrase secrets provider as the real CLI's (pkg/secrets/passphrase, sdk/go/common/resource/config/
// crypt.go): AES-256-GCM, each ciphertext `v1:<base64 nonce>:<base64 sealed>`, the stack's
// `encryptionsalt` `v1:<base64 salt>:<the word "pulumi" encrypted>` so a wrong passphrase is noticed.
// One difference, for speed: the key is PBKDF2-SHA256 with 10,000 rounds (the CLI uses 1,000,000), so
// the stand-in's ciphertexts are not readable by the real CLI (and the other way round).
"use strict";
const crypto = require("crypto");

const ROUNDS = 10000;

/** The passphrase from the environment, as the CLI reads it (non-interactive: no prompt). */
function passphraseFromEnv(env) {
    if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) return env.PULUMI_CONFIG_PASSPHRASE;
    if (env.PULUMI_CONFIG_PASSPHRASE_FILE) return require("fs").readFileSync(env.PULUMI_CONFIG_PASSPHRASE_FILE, "utf8").trim();
    throw new Error("passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE environment variables");
}

function crypterFromKey(key) {
    return {
        encrypt(plaintext) {
            const nonce = crypto.randomBytes(12);
            const c = crypto.createCipheriv("aes-256-gcm", key, nonce);
            const sealed = Buffer.concat([c.update(plaintext, "utf8"), c.final(), c.getAuthTag()]);
            return `v1:${nonce.toString("base64")}:${sealed.toString("base64")}`;
        },
        /** Throws on a value sealed under another key (a wrong passphrase or another stack's salt). */
        decrypt(ciphertext) {
            const [v, nonce, sealed] = String(ciphertext).split(":");
            if (v !== "v1" || !nonce || !sealed) throw new Error("bad value");
            const buf = Buffer.from(sealed, "base64");
            const d = crypto.createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64"));
            d.setAuthTag(buf.subarray(buf.length - 16));
            return Buffer.concat([d.update(buf.subarray(0, buf.length - 16)), d.final()]).toString("utf8");
        },
    };
}

const keyOf = (phrase, salt) => crypto.pbkdf2Sync(phrase, salt, ROUNDS, 32, "sha256");

/** A new stack's `encryptionsalt` for the passphrase. */
function newEncryptionSalt(phrase) {
    const salt = crypto.randomBytes(8);
    return `v1:${salt.toString("base64")}:${crypterFromKey(keyOf(phrase, salt)).encrypt("pulumi")}`;
}

/** The crypter of a stack's `encryptionsalt`; a wrong passphrase is the CLI's "incorrect passphrase". */
function crypterForSalt(phrase, encryptionSalt) {
    const parts = String(encryptionSalt).split(":");
    if (parts.length !== 5 || parts[0] !== "v1") throw new Error(`bad encryptionsalt ${JSON.stringify(encryptionSalt)}`);
    const crypter = crypterFromKey(keyOf(phrase, Buffer.from(parts[1], "base64")));
    let check;
    try {
        check = crypter.decrypt(parts.slice(2).join(":"));
    } catch {
        check = undefined;
    }
    if (check !== "pulumi") throw new Error("incorrect passphrase");
    return crypter;
}

module.exports = { passphraseFromEnv, newEncryptionSalt, crypterForSalt };
