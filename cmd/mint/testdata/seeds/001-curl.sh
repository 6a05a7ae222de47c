# Seed 001 (LinkerVision), verbatim but for the host and credentials.
curl --location 'https://SERVER_URL/users/token' \
--header 'Content-Type: application/json' \
--data '{
    "audience": "AUDIENCE", 
    "grant_type": "client_credentials", 
    "client_id": "CLIENT_ID",
    "client_secret": "CLIENT_SECRET"
}'
