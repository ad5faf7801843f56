// Sandbox identity provider for development and tests: the real npm `oidc-provider`,
// standing in for the national VNeID provider. It speaks standard OpenID Connect
// (discovery, JWKS, authorization code + PKCE S256, RP-initiated logout, and back-channel
// logout: signing out here, at /session/end, signs the person out of the portal too); its
// login page says plainly that it is a sandbox and lists the test identities in accounts.json.
//
//   node end2end/sandbox/idp.mjs
//   IDP_PORT=4010  IDP_REDIRECT_URIS="http://127.0.0.1:3000/auth/callback,…"
//   IDP_POST_LOGOUT_URIS="http://127.0.0.1:3000/,…"  IDP_CLIENT_SECRET=…
//   IDP_BACKCHANNEL_LOGOUT_URI=http://127.0.0.1:3000/auth/backchannel-logout (default: beside
//   the first redirect URI)
import { readFileSync } from "node:fs";
import { generateKeyPair, exportJWK } from "jose";
import Provider, { errors } from "oidc-provider";

const port = Number(process.env.IDP_PORT ?? 4010);
const issuer = process.env.IDP_ISSUER ?? `http://127.0.0.1:${port}`;
const list = (v, d) => (v ?? d).split(",").map((s) => s.trim()).filter(Boolean);
const redirectUris = list(process.env.IDP_REDIRECT_URIS, "http://127.0.0.1:3000/auth/callback");
const postLogoutUris = list(process.env.IDP_POST_LOGOUT_URIS, "http://127.0.0.1:3000/");
const backchannelLogoutUri =
  process.env.IDP_BACKCHANNEL_LOGOUT_URI ?? redirectUris[0].replace(/\/auth\/callback$/, "/auth/backchannel-logout");
const { accounts } = JSON.parse(readFileSync(new URL("./accounts.json", import.meta.url), "utf8"));
const bySub = new Map(accounts.map((a) => [a.sub, a]));

// Identity levels as authentication context classes (Decree 69/2024: level 1 self-registered,
// level 2 verified in person).
const ACR = { 1: "urn:vn:vneid:loa:1", 2: "urn:vn:vneid:loa:2" };

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: "sandbox-1", use: "sig", alg: "RS256" };

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:0 auto;padding:1rem;line-height:1.5;color:#1a1a1a}
.sandbox{background:#fff3cd;border:3px solid #b35c00;padding:.75rem 1rem;margin-bottom:1rem}
button{font:inherit;min-height:44px;width:100%;text-align:left;padding:.5rem .75rem;margin:.25rem 0;border:2px solid #1a1a1a;background:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #fd0;box-shadow:0 0 0 6px #1a1a1a}small{color:#4a4a4a}</style></head>
<body><main><p class="sandbox"><strong>MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX)</strong> — đây không phải VNeID thật.
Chỉ dùng cho phát triển và kiểm thử. <span lang="en">This is a sandbox, not the real VNeID.</span></p>${body}</main></body></html>`;

const configuration = {
  clients: [
    {
      client_id: process.env.IDP_CLIENT_ID ?? "dichvucong",
      client_secret: process.env.IDP_CLIENT_SECRET ?? "sandbox-secret-change-me",
      redirect_uris: redirectUris,
      post_logout_redirect_uris: postLogoutUris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      id_token_signed_response_alg: "RS256",
      backchannel_logout_uri: backchannelLogoutUri,
      backchannel_logout_session_required: true,
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  acrValues: Object.values(ACR),
  claims: {
    openid: ["sub"],
    profile: ["name", "birthdate", "gender", "address", "phone_number", "email"],
    vneid: ["cccd", "identity_level", "dependents"],
  },
  scopes: ["openid", "profile", "vneid"],
  // The relying party reads everything from the ID token: no user-info call needed.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => {
        ctx.body = page("Đăng xuất — Sandbox", `<h1>Đăng xuất khỏi tài khoản định danh?</h1>${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Đăng xuất</button>
          <button type="submit" form="op.logoutForm">Ở lại</button>`);
      },
      postLogoutSuccessSource: async (ctx) => {
        ctx.body = page("Đã đăng xuất — Sandbox", "<h1>Bạn đã đăng xuất.</h1>");
      },
    },
  },
  // The portal it calls back (back-channel logout) is on loopback, which the provider's SSRF
  // guard refuses; this sandbox talks only to the portal it was started for.
  fetch: (url, options) => {
    delete options.dispatcher;
    return globalThis.fetch(url, options);
  },
  ttl: { Session: 12 * 3600, Interaction: 600, Grant: 12 * 3600, AuthorizationCode: 60, IdToken: 600, AccessToken: 600 },
  cookies: { keys: [process.env.IDP_COOKIE_KEY ?? "sandbox-cookie-key"] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => {
    const a = bySub.get(sub);
    if (!a) return undefined;
    return {
      accountId: sub,
      claims: async () => ({
        sub,
        name: a.name,
        birthdate: a.birthdate,
        gender: a.gender,
        address: { formatted: a.address },
        phone_number: a.phone_number,
        email: a.email,
        cccd: a.cccd,
        identity_level: a.level,
        dependents: a.dependents,
      }),
    };
  },
  renderError: async (ctx, out) => {
    ctx.type = "html";
    ctx.body = page("Lỗi — Sandbox", `<h1>Không thực hiện được</h1><pre>${esc(out.error)}: ${esc(out.error_description ?? "")}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);
provider.proxy = false;
provider.on("backchannel.error", (ctx, err, client) => console.error(`back-channel logout to ${client.clientId} failed: ${err.message}`));

async function formBody(req) {
  let raw = "";
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

provider.use(async (ctx, next) => {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const { prompt, params, uid } = details;
  if (ctx.method === "GET" && prompt.name === "login") {
    const wanted = String(params.acr_values ?? "").includes(ACR[2]) ? 2 : 1;
    const buttons = accounts
      .map((a) => `<button type="submit" name="sub" value="${esc(a.sub)}">${esc(a.name)}
        <small>— ${a.kind === "staff" ? "cán bộ" : "công dân"}, định danh mức ${a.level}, số ${esc(a.cccd)}</small></button>`)
      .join("");
    ctx.type = "html";
    ctx.body = page("Đăng nhập VNeID — Sandbox", `<h1>Đăng nhập bằng tài khoản định danh điện tử</h1>
      <p>Ứng dụng yêu cầu định danh mức ${wanted}${params.prompt === "login" ? " và đăng nhập lại" : ""}. Chọn người dùng thử nghiệm:</p>
      <form method="post" action="/interaction/${esc(uid)}/login">${buttons}</form>`);
    return;
  }
  if (ctx.method === "POST" && m[2] === "/login" && prompt.name === "login") {
    const form = await formBody(ctx.req);
    const account = bySub.get(form.get("sub") ?? "");
    if (!account) throw new errors.InvalidRequest("unknown sandbox account");
    const result = { login: { accountId: account.sub, acr: ACR[account.level], amr: ["pwd"], remember: true } };
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
    return;
  }
  if (prompt.name === "consent") {
    // The national provider does not ask residents to consent per relying party.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(String(params.scope));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    const grantId = await grant.save();
    ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
    return;
  }
  ctx.status = 400;
  ctx.body = "unexpected interaction";
});

provider.listen(port, "127.0.0.1", () => {
  console.log(`sandbox identity provider at ${issuer} (clients: ${configuration.clients.map((c) => c.client_id).join(", ")})`);
});
