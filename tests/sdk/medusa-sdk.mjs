// Drives a demo store with the published @medusajs/js-sdk, unchanged, and fails
// on any mismatch with what a Medusa backend would answer.
//
// Usage: node medusa-sdk.mjs http://127.0.0.1:9000
//
// The admin flow starts from an admin the operator made with the binary's
// `user` subcommand, named by SDK_ADMIN_EMAIL and SDK_ADMIN_PASSWORD.
//
// Where the flow needs a password reset token, the script prints
// `need-reset-token <email>` and reads the token from standard input: the
// test harness plays the user reading the demo's notifier output.
import assert from "node:assert/strict";
import readline from "node:readline";
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

// --- Session mode, with a cookie-keeping fetch (Node's fetch keeps none) ---
const jar = new Map();
const plainFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const headers = new Headers(init.headers);
  if (jar.size > 0) {
    headers.set("cookie", [...jar].map(([name, value]) => `${name}=${value}`).join("; "));
  }
  const response = await plainFetch(input, { ...init, headers });
  for (const cookie of response.headers.getSetCookie()) {
    const [pair] = cookie.split(";");
    const [name, value] = pair.split("=");
    if (/max-age=0/i.test(cookie) || !value) jar.delete(name.trim());
    else jar.set(name.trim(), value);
  }
  return response;
};

const sessionSdk = new Medusa({ baseUrl, auth: { type: "session" } });

// 9. login in session mode: the SDK trades the token for a session cookie
await sessionSdk.auth.login("customer", "emailpass", { email, password });
assert.equal(jar.size, 1, "a session cookie was set");
const sessionCookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
const bySession = await sessionSdk.store.customer.retrieve();
assert.equal(bySession.customer.id, customer.id);
check("session login + store.customer.retrieve");

// 10. logout in session mode destroys the session on the server
await sessionSdk.auth.logout();
assert.equal(jar.size, 0, "the cookie was cleared");
const replayed = await plainFetch(`${baseUrl}/store/customers/me`, { headers: { cookie: sessionCookie } });
assert.equal(replayed.status, 401, "the old session cookie no longer works");
await assert.rejects(sessionSdk.store.customer.retrieve(), (error) => error.status === 401);
check("session auth.logout");
globalThis.fetch = plainFetch;

// --- Password reset ---
const oldToken = await sdk.auth.login("customer", "emailpass", { email, password });

// 11. resetPassword answers 201; the token reaches the user by the notifier
await sdk.auth.resetPassword("customer", "emailpass", { identifier: email });
// ...and an unknown identifier gets the same answer
await sdk.auth.resetPassword("customer", "emailpass", { identifier: `nobody-${email}` });
const input = readline.createInterface({ input: process.stdin });
const lines = input[Symbol.asyncIterator]();
console.log(`need-reset-token ${email}`);
const resetToken = (await lines.next()).value?.trim();
input.close();
assert.ok(resetToken, "the harness handed over the reset token");
check("auth.resetPassword");

// 12. updateProvider with the reset token sets the new password
const newPassword = "a brand new password";
await sdk.auth.updateProvider("customer", "emailpass", { password: newPassword }, resetToken);
check("auth.updateProvider");

// 13. the reset token is single use
await assert.rejects(
  sdk.auth.updateProvider("customer", "emailpass", { password: "yet another password" }, resetToken),
  (error) => {
    assert.equal(error.status, 401);
    assert.equal(error.message, "Invalid token");
    return true;
  },
);
check("auth.updateProvider replayed");

// 14. every earlier token is revoked; the old password is refused; the new one works
const withOld = await plainFetch(`${baseUrl}/store/customers/me`, {
  headers: { authorization: `Bearer ${oldToken}` },
});
assert.equal(withOld.status, 401, "a token from before the reset is revoked");
await assert.rejects(sdk.auth.login("customer", "emailpass", { email, password }), (error) => error.status === 401);
const afterReset = await sdk.auth.login("customer", "emailpass", { email, password: newPassword });
assert.equal(claimsOf(afterReset).actor_id, customer.id);
assert.equal((await sdk.store.customer.retrieve()).customer.id, customer.id);
check("auth.login with the new password");

// --- Admins only by invite: the operator's admin invites, a fresh identity accepts ---
const adminEmail = process.env.SDK_ADMIN_EMAIL;
const adminPassword = process.env.SDK_ADMIN_PASSWORD;
assert.ok(adminEmail && adminPassword, "SDK_ADMIN_EMAIL and SDK_ADMIN_PASSWORD are required");
const jwtSdk = () => new Medusa({ baseUrl, auth: { type: "jwt", jwtTokenStorageMethod: "memory" } });
const operator = jwtSdk();
await operator.auth.login("user", "emailpass", { email: adminEmail, password: adminPassword });
const invitedEmail = `invited-${email}`;
const { invite } = await operator.admin.invite.create({ email: invitedEmail });
assert.equal(invite.email, invitedEmail);
assert.equal(invite.accepted, false);
assert.match(invite.token, /^inv_/);
check("admin.invite.create");

const newcomer = jwtSdk();
await newcomer.auth.register("user", "emailpass", { email: invitedEmail, password });
// Registering alone makes no admin.
await assert.rejects(newcomer.admin.user.me(), (error) => error.status === 401);
const { user } = await newcomer.admin.invite.accept({
  invite_token: invite.token,
  email: invitedEmail,
  first_name: "Grace",
});
assert.equal(user.email, invitedEmail);
assert.equal(user.first_name, "Grace");
check("admin.invite.accept");

await newcomer.auth.login("user", "emailpass", { email: invitedEmail, password });
assert.equal((await newcomer.admin.user.me()).user.id, user.id);
check("admin.user.me after the invite");

// The invite is single use.
const latecomer = jwtSdk();
await latecomer.auth.register("user", "emailpass", { email: `late-${email}`, password });
await assert.rejects(
  latecomer.admin.invite.accept({ invite_token: invite.token, email: `late-${email}` }),
  (error) => error.status === 401 && error.message === "Invalid invite",
);
check("admin.invite.accept replayed");

console.log(`sdk: ${checks.join(", ")}`);
console.log("sdk: all checks passed");
