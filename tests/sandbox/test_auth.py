"""Auth providers against a local token endpoint: the right form, caching, refresh before expiry, no leaked secrets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from monitor.config import SandboxAuth
from monitor.errors import ConfigError, SandboxError
from monitor.sandbox.auth import (
    BearerToken,
    LoginWithAmazon,
    NoAuth,
    OAuth2ClientCredentials,
    StaticHeader,
    provider_for,
)

SECRET = "CANARY-client-secret-3b9f"
REFRESH = "Atzr|CANARY-refresh-token-81c2"


@dataclass
class TokenEndpoint:
    url: str
    forms: list[dict[str, str]] = field(default_factory=list)
    status: int = 200
    expires_in: int = 3600

    @property
    def calls(self) -> int:
        return len(self.forms)


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    state = TokenEndpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            state.forms.append(form)
            if state.status == 200:
                payload = {
                    "access_token": f"Atza|token-{state.calls}",
                    "token_type": "bearer",
                    "expires_in": state.expires_in,
                }
            else:
                payload = {"error": "invalid_client", "error_description": f"bad secret {form.get('client_secret')}"}
            body = json.dumps(payload).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/auth/o2/token"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=5.0) as client:
        yield client


def lwa(endpoint: TokenEndpoint, http: httpx.Client, clock: FakeClock, **extra: str) -> object:
    fields = {"client_id": SecretStr("amzn1.application-oa2-client.x"), "client_secret": SecretStr(SECRET)}
    fields |= {k: SecretStr(v) if k == "refresh_token" else v for k, v in extra.items()}
    return provider_for(SandboxAuth(type="lwa", token_url=endpoint.url, **fields), http=http, clock=clock)


def test_lwa_refresh_grant_sends_the_form_and_caches_the_token(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    clock = FakeClock()
    provider = lwa(endpoint, http, clock, refresh_token=REFRESH)
    assert isinstance(provider, LoginWithAmazon)
    assert provider.headers() == {"x-amz-access-token": "Atza|token-1"}
    assert provider.headers() == {"x-amz-access-token": "Atza|token-1"}
    assert endpoint.calls == 1
    assert endpoint.forms[0] == {
        "grant_type": "refresh_token",
        "refresh_token": REFRESH,
        "client_id": "amzn1.application-oa2-client.x",
        "client_secret": SECRET,
    }


def test_lwa_refreshes_before_expiry(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    endpoint.expires_in = 2  # margin: min(60 s, half the lifetime)
    clock = FakeClock()
    provider = lwa(endpoint, http, clock, refresh_token=REFRESH)
    assert provider.headers()["x-amz-access-token"] == "Atza|token-1"
    clock.now += 0.5
    assert provider.headers()["x-amz-access-token"] == "Atza|token-1"
    clock.now += 0.6
    assert provider.headers()["x-amz-access-token"] == "Atza|token-2"
    assert endpoint.calls == 2


def test_lwa_refreshes_sixty_seconds_before_a_normal_expiry(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    clock = FakeClock()
    provider = lwa(endpoint, http, clock, refresh_token=REFRESH)
    provider.headers()
    clock.now += 3539
    provider.headers()
    assert endpoint.calls == 1
    clock.now += 2
    provider.headers()
    assert endpoint.calls == 2


def test_lwa_client_credentials_grant_with_scope(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    provider = lwa(endpoint, http, FakeClock(), scope="sellingpartnerapi::notifications")
    provider.headers()
    assert endpoint.forms[0]["grant_type"] == "client_credentials"
    assert endpoint.forms[0]["scope"] == "sellingpartnerapi::notifications"
    assert "refresh_token" not in endpoint.forms[0]


def test_lwa_without_refresh_token_or_scope_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        provider_for(SandboxAuth(type="lwa", client_id=SecretStr("id"), client_secret=SecretStr(SECRET)))


def test_lwa_is_thread_safe(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    provider = lwa(endpoint, http, FakeClock(), refresh_token=REFRESH)
    threads = [threading.Thread(target=provider.headers) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert endpoint.calls == 1


def test_oauth2_client_credentials(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    endpoint.expires_in = 120
    clock = FakeClock()
    auth = SandboxAuth(
        type="oauth2", token_url=endpoint.url, client_id=SecretStr("cid"), client_secret=SecretStr(SECRET), scope="read"
    )
    provider = provider_for(auth, http=http, clock=clock)
    assert isinstance(provider, OAuth2ClientCredentials)
    assert provider.headers() == {"Authorization": "Bearer Atza|token-1"}
    assert provider.headers() == {"Authorization": "Bearer Atza|token-1"}
    assert endpoint.calls == 1
    assert endpoint.forms[0] == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": SECRET,
        "scope": "read",
    }
    clock.now += 61
    assert provider.headers() == {"Authorization": "Bearer Atza|token-2"}
    assert endpoint.calls == 2


@pytest.mark.parametrize("kind", ["lwa", "oauth2"])
def test_a_401_is_a_sandbox_error_without_secrets(endpoint: TokenEndpoint, http: httpx.Client, kind: str) -> None:
    endpoint.status = 401
    if kind == "lwa":
        provider = lwa(endpoint, http, FakeClock(), refresh_token=REFRESH)
    else:
        auth = SandboxAuth(
            type="oauth2", token_url=endpoint.url, client_id=SecretStr("cid"), client_secret=SecretStr(SECRET)
        )
        provider = provider_for(auth, http=http)
    with pytest.raises(SandboxError) as info:
        provider.headers()
    message = str(info.value)
    assert "401" in message
    assert "invalid_client" in message
    assert "\n" not in message
    assert SECRET not in message and REFRESH not in message
    assert "CANARY" not in message


def test_an_unreachable_endpoint_is_a_sandbox_error(http: httpx.Client) -> None:
    auth = SandboxAuth(
        type="oauth2", token_url="http://127.0.0.1:9/token", client_id=SecretStr("cid"), client_secret=SecretStr(SECRET)
    )
    with pytest.raises(SandboxError) as info:
        provider_for(auth, http=http).headers()
    assert SECRET not in str(info.value)


def test_secrets_lists_the_values_to_mask(endpoint: TokenEndpoint, http: httpx.Client) -> None:
    provider = lwa(endpoint, http, FakeClock(), refresh_token=REFRESH)
    assert set(provider.secrets()) == {SECRET, REFRESH}
    provider.headers()
    assert set(provider.secrets()) == {SECRET, REFRESH, "Atza|token-1"}


def test_static_providers() -> None:
    header = provider_for(SandboxAuth(type="header", header="x-api-key", value=SecretStr("CANARY-k")))
    assert isinstance(header, StaticHeader)
    assert header.headers() == {"x-api-key": "CANARY-k"}
    assert header.secrets() == ["CANARY-k"]
    bearer = provider_for(SandboxAuth(type="bearer", token=SecretStr("CANARY-t")))
    assert isinstance(bearer, BearerToken)
    assert bearer.headers() == {"Authorization": "Bearer CANARY-t"}
    assert "CANARY-t" in bearer.secrets()
    none = provider_for(SandboxAuth())
    assert isinstance(none, NoAuth)
    assert none.headers() == {} and none.secrets() == []


@pytest.mark.parametrize(
    "auth",
    [
        SandboxAuth(type="header", value=SecretStr("v")),
        SandboxAuth(type="bearer"),
        SandboxAuth(type="oauth2", client_id=SecretStr("c"), client_secret=SecretStr("s")),
        SandboxAuth(
            type="oauth2", token_url="http://auth.example/token", client_id=SecretStr("c"), client_secret=SecretStr("s")
        ),
    ],
)
def test_incomplete_or_unsafe_auth_is_a_config_error(auth: SandboxAuth) -> None:
    with pytest.raises(ConfigError):
        provider_for(auth)
