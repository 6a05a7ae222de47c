// dpop.mjs drives mint with oauth4webapi, an independent OAuth client
// that speaks DPoP (RFC 9449): discovery, a client_credentials token bound
// to a key it generates (answering mint's nonce challenge), then a call to
// an API behind mint's middleware or gateway (answering its nonce
// challenge). It prints one JSON line of what it saw; the Go test judges.
//
// usage: node dpop.mjs ISSUER CLIENT_ID CLIENT_SECRET AUDIENCE API_URL
import * as oauth from 'oauth4webapi'

const [issuer, clientId, secret, audience, apiURL] = process.argv.slice(2)
const insecure = { [oauth.allowInsecureRequests]: true } // loopback HTTP in the test

// retryOnNonce runs fn once more when the server asked for a DPoP nonce:
// oauth4webapi remembers the nonce from the answer.
async function retryOnNonce(fn) {
  try {
    return { result: await fn(), nonceChallenged: false }
  } catch (err) {
    if (!oauth.isDPoPNonceError(err)) throw err
    return { result: await fn(), nonceChallenged: true }
  }
}

const issuerURL = new URL(issuer)
const as = await oauth.processDiscoveryResponse(issuerURL,
  await oauth.discoveryRequest(issuerURL, { algorithm: 'oauth2', ...insecure }))
const client = { client_id: clientId }
const keyPair = await oauth.generateKeyPair('ES256')
const DPoP = oauth.DPoP(client, keyPair)

const token = await retryOnNonce(async () => {
  const resp = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretPost(secret),
    new URLSearchParams({ audience }), { DPoP, ...insecure })
  return oauth.processClientCredentialsResponse(as, client, resp)
})

const api = await retryOnNonce(async () => {
  const resp = await oauth.protectedResourceRequest(token.result.access_token, 'GET', new URL(apiURL),
    new Headers(), null, { DPoP, ...insecure })
  return { status: resp.status, body: await resp.text() }
})

// The same token sent as a bearer token must be refused.
const asBearer = await fetch(apiURL, { headers: { authorization: `Bearer ${token.result.access_token}` } })

console.log(JSON.stringify({
  dpopAlgs: as.dpop_signing_alg_values_supported,
  tokenType: token.result.token_type,
  tokenNonceChallenged: token.nonceChallenged,
  accessToken: token.result.access_token,
  apiStatus: api.result.status,
  apiBody: api.result.body,
  apiNonceChallenged: api.nonceChallenged,
  asBearerStatus: asBearer.status,
  asBearerChallenge: asBearer.headers.get('www-authenticate'),
}))
