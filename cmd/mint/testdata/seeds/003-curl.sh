# Seed 003 (Dataloy): the page gives the JSON payload; this is the curl
# that posts it, verbatim but for the host and credentials.
curl -s -X POST https://TOKEN_URL -H 'Content-Type: application/json' -d '{
"client_id":"G99j845dM4MtckQlKt8E6o......",
"client_secret":"-mMElVOMzvht2SyQPfVh-WIaPCbOxRdWN5YngBxtBKybQmli-....",
"audience":"https://dataloy",
"grant_type":"client_credentials"
}'
