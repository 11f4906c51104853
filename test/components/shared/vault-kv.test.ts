/**
 * A Vault KV answer turned into a shared Secret's data (components/shared/vault-kv.ts): Vault's answers are
 * untrusted, so each way an answer can be wrong is refused with the path and field, never the value.
 */
import { describe, expect, it } from "vitest";
import { MAX_SECRET_BYTES, kvSecretData } from "../../../components/shared/vault-kv";

const VALUE = "s3cr3t-VALUE-xyz";
const read = { mount: "secret", path: "platform/app", keys: { token: "tok" }, secretType: "Opaque" };
const where = "Vault KV secret secret/data/platform/app";

describe("kvSecretData", () => {
  it("base64 of each field, under the Secret's keys", () => {
    expect(kvSecretData({ tok: VALUE, other: "x" }, read)).toEqual({
      token: Buffer.from(VALUE).toString("base64"),
    });
  });

  it.each([
    ["no data", null, `${where}: no data (is the path right, and readable by the platform's token?)`],
    ["a list", [VALUE], `${where}: no data (is the path right, and readable by the platform's token?)`],
    ["the field missing", { other: VALUE }, `${where}: has no field "tok" (for the Secret's key "token")`],
    [
      "an inherited field",
      Object.create({ tok: VALUE }) as object,
      `${where}: has no field "tok" (for the Secret's key "token")`,
    ],
    ["not a string", { tok: 42 }, `${where}: field "tok" is not a string`],
    ["empty", { tok: "" }, `${where}: field "tok" is empty`],
    [
      "too large",
      { tok: "x".repeat(MAX_SECRET_BYTES) },
      `${where}: the fields read exceed ${MAX_SECRET_BYTES} bytes, more than a Secret holds`,
    ],
  ])("refuses %s, never showing the value", (_, answer, message) => {
    expect(() => kvSecretData(answer, read)).toThrow(message);
    try {
      kvSecretData(answer, read);
    } catch (e) {
      expect(String(e)).not.toContain(VALUE);
    }
  });

  it("a dockerconfigjson must be a JSON object", () => {
    const docker = {
      ...read,
      keys: { ".dockerconfigjson": "cfg" },
      secretType: "kubernetes.io/dockerconfigjson",
    };
    expect(() => kvSecretData({ cfg: `not json ${VALUE}` }, docker)).toThrow(
      `${where}: field "cfg" is not a JSON object (a dockerconfigjson)`,
    );
    expect(() => kvSecretData({ cfg: "[1]" }, docker)).toThrow("is not a JSON object");
    expect(kvSecretData({ cfg: '{"auths":{}}' }, docker)).toEqual({
      ".dockerconfigjson": Buffer.from('{"auths":{}}').toString("base64"),
    });
  });
});
