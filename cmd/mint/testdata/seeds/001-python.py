# Seed 001 (LinkerVision), verbatim but for the host and credentials; the
# last line is ours, to show what the snippet got.
import requests
response = requests.post(
    "https://SERVER_URL/users/token",
    json={
        "audience": "AUDIENCE",
        "grant_type": "client_credentials",
        "client_id": "CLIENT_ID",
        "client_secret": "CLIENT_SECRET"
    },
    timeout=10,
)
access_token = response.json()["access_token"]
print(access_token)
