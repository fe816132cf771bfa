#!/usr/bin/env python3
"""Writes the seed corpus under fuzz/corpus/<target>/ from the tables below.

The seeds are the shapes real clients and registries send (docker, containerd, podman and
skopeo request heads; docker-registry (distribution) and Docker Hub responses; chunked bodies;
request targets and header values the Swift parsers see). Header values are representative,
not captured traffic. Run from anywhere; rerunning rewrites the same files.
"""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent / "corpus"
DIGEST = "sha256:" + "4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8"
DIGEST2 = "sha256:" + "a0264d60f80df12bc1e6dd1bae6c66f10b6e1ebdac6a5fa7f7cb8f9b36d4a3b1"
DIGEST512 = "sha512:" + "0" * 127 + "f"
ACCEPT_ALL = ("application/vnd.docker.distribution.manifest.v2+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json, "
              "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*")


def head(start_line, fields, body=""):
    return start_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields) + "\r\n" + body


DOCKER_UA = ("docker/27.3.1 go/go1.22.7 git-commit/41ca978 kernel/6.8.0-45-generic os/linux arch/amd64 "
             "UpstreamClient(Docker-Client/27.3.1 \\(linux\\))")
REQUESTS = {
    "docker-ping": head("GET /v2/ HTTP/1.1", [("Host", "localhost:5000"), ("User-Agent", DOCKER_UA),
                                               ("Accept-Encoding", "gzip"), ("Connection", "close")]),
    "docker-manifest-head": head(f"HEAD /v2/library/alpine/manifests/latest HTTP/1.1", [
        ("Host", "localhost:5000"), ("User-Agent", DOCKER_UA),
        ("Accept", "application/vnd.docker.distribution.manifest.v2+json"),
        ("Accept", "application/vnd.docker.distribution.manifest.list.v2+json"),
        ("Accept", "application/vnd.oci.image.index.v1+json"),
        ("Accept", "application/vnd.oci.image.manifest.v1+json"),
        ("Accept", "application/vnd.docker.distribution.manifest.v1+prettyjws"),
        ("Accept", "application/json"),
        ("Authorization", "Bearer eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIifQ.c2ln"),
        ("Accept-Encoding", "gzip")]),
    "docker-blob-get": head(f"GET /v2/library/alpine/blobs/{DIGEST} HTTP/1.1", [
        ("Host", "localhost:5000"), ("User-Agent", DOCKER_UA), ("Accept-Encoding", "identity")]),
    "containerd-manifest": head(f"HEAD /v2/library/alpine/manifests/3.20?ns=docker.io HTTP/1.1", [
        ("Host", "mirror.local:5000"), ("User-Agent", "containerd/v1.7.22"), ("Accept", ACCEPT_ALL),
        ("Accept-Encoding", "gzip")]),
    "containerd-blob-resume": head(f"GET /v2/library/alpine/blobs/{DIGEST}?ns=docker.io HTTP/1.1", [
        ("Host", "mirror.local:5000"), ("User-Agent", "containerd/v1.7.22"),
        ("Accept", "application/vnd.oci.image.layer.v1.tar+gzip, */*"), ("Range", "bytes=1048576-"),
        ("Accept-Encoding", "gzip")]),
    "podman-manifest": head(f"GET /v2/library/alpine/manifests/{DIGEST2} HTTP/1.1", [
        ("Host", "127.0.0.1:5000"), ("User-Agent", "containers/5.32.2 (github.com/containers/image)"),
        ("Accept", "application/vnd.oci.image.index.v1+json"),
        ("Accept", "application/vnd.docker.distribution.manifest.list.v2+json"),
        ("Docker-Distribution-Api-Version", "registry/2.0"), ("Accept-Encoding", "gzip")]),
    "skopeo-tags": head("GET /v2/library/alpine/tags/list?n=100&last=3.19 HTTP/1.1", [
        ("Host", "127.0.0.1:5000"), ("User-Agent", "skopeo/1.16.1"),
        ("Docker-Distribution-Api-Version", "registry/2.0"), ("Accept-Encoding", "gzip")]),
    "http10-keepalive": head("GET /healthz HTTP/1.0", [("Host", "localhost"), ("Connection", "Keep-Alive")]),
    "leading-empty-lines": "\r\n\r\n" + head("GET /metrics HTTP/1.1", [("Host", "x")]),
    "pipelined": head("GET /v2/ HTTP/1.1", [("Host", "a")]) + head("GET /v2/ HTTP/1.1", [("Host", "a")]),
    "expect-continue-put": head("PUT /v2/a/blobs/uploads/1?digest=" + DIGEST + " HTTP/1.1", [
        ("Host", "a"), ("Content-Length", "5, 5"), ("Expect", "100-continue")], "hello"),
    "chunked-post": head("POST /v2/a/blobs/uploads/ HTTP/1.1", [
        ("Host", "a"), ("Transfer-Encoding", " Chunked "), ("Connection", "keep-alive, Upgrade")], "0\r\n\r\n"),
    "smuggling-cl-te": head("POST / HTTP/1.1", [("Content-Length", "4"), ("Transfer-Encoding", "chunked")]),
    "obs-fold": "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",
    "absolute-form": head("GET http://registry-1.docker.io/v2/ HTTP/1.1", [("Host", "registry-1.docker.io")]),
    "empty-value-and-tabs": head("GET / HTTP/1.1", [("X-Empty", ""), ("X-Tab", "\ta\tb\t"), ("X-Obs", "caf\xe9")]),
}

RESPONSES = {
    "registry-ping": head("HTTP/1.1 200 OK", [
        ("Content-Length", "2"), ("Content-Type", "application/json; charset=utf-8"),
        ("Docker-Distribution-Api-Version", "registry/2.0"), ("X-Content-Type-Options", "nosniff"),
        ("Date", "Sat, 29 Nov 2025 10:00:00 GMT")], "{}"),
    "registry-manifest": head("HTTP/1.1 200 OK", [
        ("Content-Length", "1638"), ("Content-Type", "application/vnd.oci.image.index.v1+json"),
        ("Docker-Content-Digest", DIGEST), ("Docker-Distribution-Api-Version", "registry/2.0"),
        ("Etag", f"\"{DIGEST}\""), ("X-Content-Type-Options", "nosniff"),
        ("Date", "Sat, 29 Nov 2025 10:00:00 GMT")]),
    "registry-blob-unknown": head("HTTP/1.1 404 Not Found", [
        ("Content-Type", "application/json; charset=utf-8"), ("Docker-Distribution-Api-Version", "registry/2.0"),
        ("Content-Length", "157")],
        '{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":"' + DIGEST + '"}]}\n'),
    "registry-partial": head("HTTP/1.1 206 Partial Content", [
        ("Accept-Ranges", "bytes"), ("Content-Length", "1024"), ("Content-Range", "bytes 0-1023/3623807"),
        ("Content-Type", "application/octet-stream"), ("Docker-Content-Digest", DIGEST)]),
    "registry-basic-401": head("HTTP/1.1 401 Unauthorized", [
        ("Content-Type", "application/json; charset=utf-8"), ("Docker-Distribution-Api-Version", "registry/2.0"),
        ("Www-Authenticate", 'Basic realm="Registry Realm"'), ("Content-Length", "0")]),
    "hub-401": head("HTTP/1.1 401 Unauthorized", [
        ("content-type", "application/json"), ("docker-distribution-api-version", "registry/2.0"),
        ("www-authenticate", 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                             'scope="repository:library/alpine:pull"'),
        ("date", "Sat, 29 Nov 2025 10:00:00 GMT"), ("content-length", "157"),
        ("strict-transport-security", "max-age=31536000")]),
    "hub-manifest": head("HTTP/1.1 200 OK", [
        ("content-length", "9218"), ("content-type", "application/vnd.oci.image.index.v1+json"),
        ("docker-content-digest", DIGEST), ("docker-distribution-api-version", "registry/2.0"),
        ("etag", f"\"{DIGEST}\""), ("date", "Sat, 29 Nov 2025 10:00:00 GMT"),
        ("ratelimit-limit", "100;w=21600"), ("ratelimit-remaining", "99;w=21600"),
        ("docker-ratelimit-source", "203.0.113.7"), ("strict-transport-security", "max-age=31536000")]),
    "hub-blob-redirect": head("HTTP/1.1 307 Temporary Redirect", [
        ("content-type", "application/octet-stream"), ("docker-distribution-api-version", "registry/2.0"),
        ("location", "https://production.cloudflare.docker.com/registry-v2/docker/registry/v2/blobs/sha256/4a/"
                     "4abcf20661432fb2d719aaf90656f55c287f8ca915dc1c92ec14ff61e67fbaf8/data?expires=1764410400"),
        ("date", "Sat, 29 Nov 2025 10:00:00 GMT"), ("content-length", "0")]),
    "hub-429": head("HTTP/1.1 429 Too Many Requests", [
        ("content-type", "application/json"), ("retry-after", "60"), ("ratelimit-limit", "100;w=21600"),
        ("ratelimit-remaining", "0;w=21600"), ("content-length", "0")]),
    "token-chunked": head("HTTP/1.1 200 OK", [
        ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"), ("Connection", "keep-alive")],
        "1a\r\n{\"token\":\"abc\",\"expires_in\r\n0\r\n\r\n"),
    "http10-no-reason-close": head("HTTP/1.0 200", [("Connection", "close")], "body until close"),
    "continue-then-ok": "HTTP/1.1 100 Continue\r\n\r\n" + head("HTTP/1.1 201 Created", [("Content-Length", "0")]),
    "cl-list-differs": head("HTTP/1.1 200 OK", [("Content-Length", "1, 2")]),
    "status-999-tab-reason": head("HTTP/1.1 999 \tOdd\treason \xff", [("X", "y")]),
}

CHUNKED = {
    "token-json": "1a\r\n{\"token\":\"abc\",\"expires_in\r\nb\r\n\":300,\"x\":1}\r\n0\r\n\r\n",
    "extensions-trailers": "5;name=value;q=\"a;b\"\r\nhello\r\n0;last\r\nDigest: sha-256=abc\r\nX:\r\n\r\n",
    "uppercase-hex-leading-zeros": "000A\r\n0123456789\r\n00\r\n\r\n",
    "bws-before-extension": "3 \t;ext\r\nabc\r\n0\r\n\r\n",
    "next-message": "2\r\nok\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "empty-body": "0\r\n\r\n",
    "fifteen-hex-digits": "fffffffffffffff\r\nabc",
    "bad-sign": "-1\r\n\r\n",
    "bare-lf": "3\nabc\n0\n\n",
    "missing-data-crlf": "3\r\nabcX\r\n0\r\n\r\n",
}

TARGETS = {
    "base": "/v2/",
    "base-no-slash": "/v2",
    "manifest-tag": "/v2/library/alpine/manifests/latest",
    "manifest-digest-ns": f"/v2/library/alpine/manifests/{DIGEST}?ns=docker.io",
    "manifest-nested": "/v2/my-org/team__x/app.web/manifests/v1.2.3-rc_1",
    "blob": f"/v2/library/alpine/blobs/{DIGEST}",
    "blob-sha512": f"/v2/a/blobs/{DIGEST512}",
    "tags-list": "/v2/library/alpine/tags/list?n=10&last=3.19",
    "referrers": f"/v2/a/b/referrers/{DIGEST}?artifactType=application%2Fvnd.example%2Bjson",
    "upload": "/v2/library/alpine/blobs/uploads/",
    "upload-session": "/v2/library/alpine/blobs/uploads/8be4df61-93ca-11d2-aa0d-00e098032b8c?_state=abc%3D",
    "healthz": "/healthz",
    "metrics": "/metrics",
    "absolute-form": "http://registry-1.docker.io/v2/",
    "asterisk": "*",
    "dot-dot": "/v2/../etc/manifests/passwd",
    "pct-dot-dot": "/v2/%2e%2e/blobs/" + DIGEST,
    "empty-segment": "/v2/a//manifests/latest",
    "upper-hex-digest": "/v2/a/blobs/sha256:" + "A" * 64,
    "bad-query": "/v2/a/tags/list?n=-1&last=%zz",
    "range-single": "bytes=0-499",
    "range-from": "bytes=1048576-",
    "range-suffix": "Bytes = -500 ,",
    "range-multi": "bytes=0-1,5-9",
    "range-huge": "bytes=99999999999999999999-",
    "accept-containerd": ACCEPT_ALL,
    "accept-podman-lines": "application/vnd.oci.image.index.v1+json\napplication/vnd.oci.image.manifest.v1+json;q=0.9\n"
                           "application/vnd.docker.distribution.manifest.v2+json; q=0",
    "accept-quoted-params": 'text/plain; charset="a,b;c"; q=0.000, Application/JSON ; q="1"',
    "auth-hub": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                'scope="repository:library/alpine:pull"',
    "auth-basic": 'Basic realm="Registry Realm"',
    "auth-multi": 'Negotiate abc==, Basic realm="x", Bearer realm=https://t/token, service = "s\\"q"',
    "auth-unterminated": 'Bearer realm="https://t/token,service="s',
    "digest-sha256": DIGEST,
    "digest-sha512": DIGEST512,
    "digest-unknown-algorithm": "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
}


def write(target, table):
    folder = ROOT / target
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in table.items():
        (folder / name).write_bytes(text.encode("latin-1"))


write("request", REQUESTS)
write("response", RESPONSES)
write("chunked", CHUNKED)
write("route", TARGETS)
