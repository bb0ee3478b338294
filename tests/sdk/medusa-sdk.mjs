// Drives a demo store with the published @medusajs/js-sdk, unchanged, and fails
// on any mismatch with what a Medusa backend would answer.
//
// Usage: node medusa-sdk.mjs http://127.0.0.1:9000
import assert from "node:assert/strict";
import Medusa, { FetchError } from "@medusajs/js-sdk";

const baseUrl = process.argv[2];
if (!baseUrl) {
  console.error("usage: node medusa-sdk.mjs <base url>");
  process.exit(2);
}

const sdk = new Medusa({
  baseUrl,
  auth: { type: "jwt", jwtTokenStorageMethod: "memory" },
});

const claimsOf = (token) =>
  JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));

const email = `sdk-${Date.now()}-${Math.random().toString(16).slice(2)}@example.com`;
const password = "correct horse battery";
const checks = [];
const check = (name) => checks.push(name);

// 1. register: a token whose actor_id is "" (not linked yet)
const registered = await sdk.auth.register("customer", "emailpass", { email, password });
assert.equal(typeof registered, "string");
assert.equal(claimsOf(registered).actor_id, "");
check("auth.register");

// 2. create the customer with the unregistered token
const { customer } = await sdk.store.customer.create({ email, first_name: "Ada" });
assert.match(customer.id, /^cus_/);
assert.equal(customer.email, email);
check("store.customer.create");

// 3. refresh: the new token carries the customer id
const refreshed = await sdk.auth.refresh();
assert.equal(claimsOf(refreshed.token).actor_id, customer.id);
check("auth.refresh");

// 4. me, with the refreshed token
const me = await sdk.store.customer.retrieve();
assert.equal(me.customer.id, customer.id);
check("store.customer.retrieve");

// 5. log in again
const loggedIn = await sdk.auth.login("customer", "emailpass", { email, password });
assert.equal(typeof loggedIn, "string");
assert.equal(claimsOf(loggedIn).actor_id, customer.id);
const meAgain = await sdk.store.customer.retrieve();
assert.equal(meAgain.customer.email, email);
check("auth.login");

// 6. a wrong password surfaces as FetchError 401 with Medusa's message
await assert.rejects(
  sdk.auth.login("customer", "emailpass", { email, password: "not the password" }),
  (error) => {
    assert.ok(error instanceof FetchError, `expected FetchError, got ${error}`);
    assert.equal(error.status, 401);
    assert.equal(error.message, "Invalid email or password");
    return true;
  },
);
check("auth.login with a wrong password");

// 7. duplicate registration is refused with Medusa's message
await assert.rejects(sdk.auth.register("customer", "emailpass", { email, password }), (error) => {
  assert.equal(error.status, 401);
  assert.equal(error.message, "Identity with email already exists");
  return true;
});
check("auth.register twice");

// 8. after logout (JWT mode: the client forgets the token) me is a 401
await sdk.auth.logout();
await assert.rejects(sdk.store.customer.retrieve(), (error) => {
  assert.equal(error.status, 401);
  return true;
});
check("auth.logout");

console.log(`sdk: ${checks.join(", ")}`);
console.log("sdk: all checks passed");
