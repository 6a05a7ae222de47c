# Seed 000 (TOCC), verbatim but for the host and credentials.
curl --request POST \
  --url https://auth.eu.tocc.tech/api/getToken \
  --header 'content-type: application/json' \
  --data '{"client_id":"CLIENT-ID","client_secret":"CLIENT-SECRET","audience":"https://api.eu.tocc.tech","grant_type":"client_credentials"}'
